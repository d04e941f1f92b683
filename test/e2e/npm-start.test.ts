// `npm start`'s entry point as a user runs it: banner, the curl quick start, its log lines, a refused second start,
// a clean stop, and a restart after SIGKILL.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { uploadThroughApi, waitForVerdict } from '../../scripts/lib/upload.ts'
import { SEED } from '../helpers/sample.ts'
import { waitFor } from '../helpers/stack.ts'
import { dataDirectory } from '../helpers/data-dir.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function start (env: NodeJS.ProcessEnv): { child: ChildProcess, output: () => string } {
  let output = ''
  const child = spawn(process.execPath, ['--import', 'tsx', 'embedded/main.ts'], { cwd: ROOT, env: { ...process.env, ...env } })
  child.stdout!.on('data', chunk => { output += chunk })
  child.stderr!.on('data', chunk => { output += chunk })
  return { child, output: () => output }
}

/**
 * A fresh data folder, and ports the system chooses as the server listens (0), read from its banner: a port
 * picked free beforehand can be taken by another test's connection before the server binds it.
 */
function userEnvironment (t: Test) {
  return { PORT: '0', EMBEDDED_PORT: '0', DATA_DIR: dataDirectory(t), LOG_LEVEL: 'warn', STACK: 'embedded' }
}

/**
 * Starts the server and waits for its banner; killed when the test ends. A start that fails says how, with its
 * output. Gives the API's URL as the banner prints it.
 */
async function startUp (t: Test, env: NodeJS.ProcessEnv) {
  const server = start(env)
  t.teardown(() => { server.child.kill('SIGKILL') })
  let exit: string | undefined
  server.child.once('exit', (code, signal) => { exit = `exited (${code ?? signal})` })
  try {
    await waitFor(async () => {
      if (server.output().includes('CSV metadata service is up')) return true
      if (exit !== undefined) throw new Error(`npm start ${exit} before its banner`)
      return undefined
    }, 60_000, 'the banner')
  } catch (err) {
    throw new Error(`${(err as Error).message}; its output:\n${server.output().slice(-3000)}`)
  }
  const api = /^ {2}API: +(http:\/\/127\.0\.0\.1:\d+)$/m.exec(server.output())?.[1]
  if (api === undefined) throw new Error(`no API line in the banner:\n${server.output()}`)
  return { ...server, api }
}

t.test('npm start: the banner, the quick start, one log format, a refused second start, a clean stop', async t => {
  const env = userEnvironment(t)
  const server = await startUp(t, { ...env, LOG_LEVEL: 'info' })
  const { api } = server
  // PORT=0 and EMBEDDED_PORT=0: the banner, the API's clients and the presigned URL use the ports chosen.
  t.notMatch(api, /:0$/, 'the API line gives the port listened on')
  t.match(server.output(), `Swagger UI:    ${api}/docs`)
  t.match(server.output(), /S3\+DynamoDB: {3}http:\/\/127\.0\.0\.1:[1-9]\d* {2}\(embedded/)

  await uploadThroughApi(api, 'example.csv', SEED)
  t.match(await waitForVerdict(api, 'example.csv', { timeoutMs: 30_000 }), { status: 'processed', row_count: 2, column_count: 5 })
  await waitFor(async () => server.output().includes('processed example.csv') || undefined, 10_000, 'the handler\'s line')

  const second = start(env)
  const [code] = await once(second.child, 'exit')
  t.equal(code, 1, 'a second start exits with 1')
  t.match(second.output(), /Cannot start: Another embedded stack \(pid \d+\) is already using/)

  server.child.kill('SIGTERM')
  const [exitCode] = await once(server.child, 'exit')
  t.equal(exitCode, 0, 'SIGTERM stops it cleanly')

  // One log format in the terminal: every log line is the same JSON shape, and the processed file is one line.
  const lines = server.output().split('\n').filter(line => line.startsWith('{'))
  const logged = lines.map(line => JSON.parse(line) as Record<string, unknown>)
  t.ok(logged.length >= 3, `log lines from the API and the handler (${logged.length})`)
  for (const line of logged) {
    t.match(line, { level: /^(info|warn|error)$/, time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, msg: String }, `same shape: ${JSON.stringify(line).slice(0, 80)}`)
  }
  const processed = logged.filter(line => typeof line.msg === 'string' && line.msg.startsWith('processed example.csv'))
  t.equal(processed.length, 1, 'one line for the processed file')
  t.match(processed[0], { msg: /^processed example\.csv: 2 rows, 5 columns in \d+ ms$/, requestId: /^[0-9a-f-]{36}$/, key: 'example.csv', status: 'processed' })
  t.notOk(logged.some(line => line.url !== undefined), 'no request lines at info')
  t.equal(server.output().split('NodeVersionSupportWarning').length - 1, process.versions.node.startsWith('20.') ? 1 : 0, 'the SDK\'s Node-version notice at most once')
})

t.test('killed with SIGKILL right after an upload, the next start still produces its metadata', async t => {
  const env = userEnvironment(t)
  const first = await startUp(t, env)
  await uploadThroughApi(first.api, 'survivor.csv', 'a,b\n1,2\n3,4\n')
  // Processing needs several round trips to the emulators in the process killed here (tens of ms), while the kill
  // follows the PUT's answer at once: the stack dies with the file unprocessed, or `processing` at most.
  first.child.kill('SIGKILL')
  await once(first.child, 'exit')

  const second = await startUp(t, { ...env, LOG_LEVEL: 'info' })
  t.match(await waitForVerdict(second.api, 'survivor.csv', { timeoutMs: 60_000 }), { status: 'processed', row_count: 2, column_count: 2 })
  t.match(second.output(), /caught up on 1 file\(s\) left unprocessed by the last run/, 'the restart caught up on the file')
  t.notMatch(second.output(), /Another embedded stack/, 'the dead process\'s lock was reclaimed')
})
