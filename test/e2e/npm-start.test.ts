// `npm start`'s entry point as a user runs it: banner, the curl quick start, a refused second start, a clean stop.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { freePort, waitFor } from '../helpers/stack.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function start (env: NodeJS.ProcessEnv): { child: ChildProcess, output: () => string } {
  let output = ''
  const child = spawn(process.execPath, ['--import', 'tsx', 'embedded/main.ts'], { cwd: ROOT, env: { ...process.env, ...env } })
  child.stdout!.on('data', chunk => { output += chunk })
  child.stderr!.on('data', chunk => { output += chunk })
  return { child, output: () => output }
}

/** Free ports and a fresh data folder: the environment of one user's `npm start`. */
async function userEnvironment (t: Test) {
  return {
    PORT: String(await freePort()),
    EMBEDDED_PORT: String(await freePort()),
    DATA_DIR: t.testdir(),
    LOG_LEVEL: 'warn',
    STACK: 'embedded'
  }
}

/** Starts the server and waits for its banner; killed when the test ends. */
async function startUp (t: Test, env: NodeJS.ProcessEnv) {
  const server = start(env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  await waitFor(async () => server.output().includes('CSV metadata service is up') || undefined, 60_000, 'the banner')
  return server
}

t.test('npm start', async t => {
  const env = await userEnvironment(t)
  const api = `http://127.0.0.1:${env.PORT}`
  const server = await startUp(t, env)
  t.match(server.output(), `Swagger UI:    ${api}/docs`)
  t.match(server.output(), `S3+DynamoDB:   http://127.0.0.1:${env.EMBEDDED_PORT}`)

  const ticket = await (await fetch(`${api}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filename: 'example.csv' })
  })).json() as { uploadUrl: string }
  const put = await fetch(ticket.uploadUrl, { method: 'PUT', body: readFileSync(`${ROOT}/sample_data/example.csv`) })
  t.equal(put.status, 200)
  const file = await waitFor(async () => {
    const res = await fetch(`${api}/files/example.csv`)
    const body = res.status === 200 ? await res.json() as { status: string } : undefined
    return body?.status === 'processed' ? body : undefined
  }, 30_000, 'example.csv to be processed')
  t.match(file, { row_count: 2, column_count: 5 })

  const second = start({ ...env, PORT: String(await freePort()) })
  const [code] = await once(second.child, 'exit')
  t.equal(code, 1, 'a second start exits with 1')
  t.match(second.output(), /Cannot start: Another embedded stack \(pid \d+\) is already using/)

  server.child.kill('SIGTERM')
  const [exitCode] = await once(server.child, 'exit')
  t.equal(exitCode, 0, 'SIGTERM stops it cleanly')
})

t.test('killed with SIGKILL right after an upload, the next start still produces its metadata', async t => {
  const env = await userEnvironment(t)
  const api = `http://127.0.0.1:${env.PORT}`
  const first = await startUp(t, env)
  const ticket = await (await fetch(`${api}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filename: 'survivor.csv' })
  })).json() as { uploadUrl: string }
  t.equal((await fetch(ticket.uploadUrl, { method: 'PUT', body: 'a,b\n1,2\n3,4\n' })).status, 200)
  // The first event starts a handler process (about a second), so the kill lands before the file is processed.
  first.child.kill('SIGKILL')
  await once(first.child, 'exit')

  const second = start({ ...env, LOG_LEVEL: 'info' })
  t.teardown(() => { second.child.kill('SIGKILL') })
  const file = await waitFor(async () => {
    const res = await fetch(`${api}/files/survivor.csv`).catch(() => undefined)
    const body = res?.status === 200 ? await res.json() as { status: string } : undefined
    return body?.status === 'processed' ? body : undefined
  }, 60_000, 'survivor.csv to be processed after the restart')
  t.match(file, { row_count: 2, column_count: 2 })
  t.match(second.output(), /caught up on 1 file\(s\) left unprocessed by the last run/, 'the restart caught up on the file')
  t.notMatch(second.output(), /Another embedded stack/, 'the dead process\'s lock was reclaimed')
})
