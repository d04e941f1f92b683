// The embedded Lambda runtime with small handler modules written for the test: concurrency, retries, crashes, signals.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { LambdaRuntime, type LambdaRuntimeOptions } from '../../embedded/lambda-runtime.ts'
import { dataDirectory } from '../helpers/data-dir.ts'
import { waitFor } from '../helpers/stack.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Writes a handler module that logs each call to calls.log, then runs `body` (CALLS names the log's path). */
function writeHandler (dir: string, body: string): string {
  const calls = JSON.stringify(join(dir, 'calls.log'))
  const file = join(dir, 'handler.mjs')
  writeFileSync(file, `
import { appendFileSync, readFileSync } from 'node:fs'
const CALLS = ${calls}
export async function handler (event) {
  appendFileSync(CALLS, JSON.stringify({ pid: process.pid, event, start: Date.now() }) + '\\n')
  ${body}
}`)
  return pathToFileURL(file).href
}

function calls (dir: string): Array<{ pid: number, event: { n: number }, start: number }> {
  if (!existsSync(join(dir, 'calls.log'))) return []
  return readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n').map(line => JSON.parse(line))
}

/** A runtime of two workers running `body`, started: every worker has loaded the handler. */
async function runtimeFor (t: Test, body: string, options: Partial<LambdaRuntimeOptions> = {}) {
  const dir = dataDirectory(t)
  const runtime = new LambdaRuntime({
    handlerModule: writeHandler(dir, body),
    codeDir: join(dir, 'code'),
    concurrency: 2,
    env: () => process.env,
    output: 'ignore',
    retryDelaysMs: [20, 40],
    ...options
  })
  t.teardown(() => runtime.close(1000))
  await runtime.start()
  return { dir, runtime }
}

t.test('runs every invocation, at most `concurrency` at once, each in a child process', async t => {
  const { dir, runtime } = await runtimeFor(t, `
    await new Promise(resolve => setTimeout(resolve, 100))
    appendFileSync(CALLS + '.end', Date.now() + '\\n')`)
  for (let n = 0; n < 6; n++) runtime.invoke({ n })
  await runtime.idle()
  const seen = calls(dir)
  t.same(seen.map(c => c.event.n).sort(), [0, 1, 2, 3, 4, 5])
  t.equal(new Set(seen.map(c => c.pid)).size, 2, 'two child processes served them')
  t.notOk(seen.some(c => c.pid === process.pid), 'never in the parent process')
  const starts = seen.map(c => c.start).sort()
  const ends = readFileSync(join(dir, 'calls.log.end'), 'utf8').trim().split('\n').map(Number).sort()
  const running = Math.max(...starts.map(s => starts.filter(x => x <= s).length - ends.filter(e => e <= s).length))
  t.ok(running <= 2, `at most 2 ran at once (saw ${running})`)
})

t.test('a failing invocation is retried twice, then reported', async t => {
  const failures: Array<{ event: unknown, error: string }> = []
  const { dir, runtime } = await runtimeFor(t, 'throw new Error("DynamoDB unreachable")', {
    onFailure: (event, error) => failures.push({ event, error })
  })
  runtime.invoke({ n: 7 })
  await runtime.idle()
  t.equal(calls(dir).length, 3, 'first attempt and two retries')
  t.same(failures, [{ event: { n: 7 }, error: 'DynamoDB unreachable' }])
})

t.test('an invocation that succeeds on retry is not reported', async t => {
  const failures: unknown[] = []
  const { dir, runtime } = await runtimeFor(t, `
    if (readFileSync(CALLS, 'utf8').trim().split('\\n').length < 2) throw new Error('flaky')`,
  { onFailure: event => failures.push(event) })
  runtime.invoke({ n: 1 })
  await runtime.idle()
  t.equal(calls(dir).length, 2)
  t.same(failures, [])
})

t.test('a crashed child process is replaced and the invocation retried', async t => {
  const failures: unknown[] = []
  const { dir, runtime } = await runtimeFor(t, 'if (event.n === 1) process.exit(3)', { onFailure: event => failures.push(event) })
  runtime.invoke({ n: 1 })
  runtime.invoke({ n: 2 })
  await runtime.idle()
  t.equal(calls(dir).filter(c => c.event.n === 1).length, 3, 'the crashing one was tried three times')
  t.equal(calls(dir).filter(c => c.event.n === 2).length, 1, 'the other ran once')
  t.same(failures, [{ n: 1 }])
})

t.test('a handler that cannot be loaded uses up attempts instead of spinning', async t => {
  const failures: string[] = []
  const dir = t.testdir({ 'broken.mjs': 'throw new Error("syntax is fine, import fails")' })
  const runtime = new LambdaRuntime({
    handlerModule: pathToFileURL(join(dir, 'broken.mjs')).href,
    codeDir: join(dir, 'code'),
    concurrency: 1,
    env: () => process.env,
    output: 'ignore',
    retryDelaysMs: [10, 10],
    onFailure: (_event, error) => failures.push(error)
  })
  t.teardown(() => runtime.close(1000))
  await runtime.start()
  runtime.invoke({ n: 1 })
  await runtime.idle()
  t.equal(failures.length, 1)
  t.match(failures[0], /could not be loaded/)
})

t.test('close lets a running invocation finish and refuses new ones', async t => {
  const { dir, runtime } = await runtimeFor(t, `
    await new Promise(resolve => setTimeout(resolve, 300))
    appendFileSync(CALLS + '.done', 'finished')`)
  runtime.invoke({ n: 1 })
  await waitFor(async () => calls(dir).length === 1 || undefined, 20_000, 'the invocation to start')
  await runtime.close()
  t.equal(readFileSync(join(dir, 'calls.log.done'), 'utf8'), 'finished')
  t.throws(() => runtime.invoke({ n: 2 }), /closed/)
})

/**
 * `npm start` in a terminal, reduced to the runtime: a process in its own process group (as a shell puts a job) that
 * starts a one-worker runtime on `handler.mjs`, invokes it once, and on SIGINT closes the runtime, then exits 0.
 */
function startInTerminal (t: Test, dir: string, body: string): ChildProcess {
  writeHandler(dir, body)
  writeFileSync(join(dir, 'runtime.mjs'), `
import { LambdaRuntime } from ${JSON.stringify(new URL('../../embedded/lambda-runtime.ts', import.meta.url).href)}
const runtime = new LambdaRuntime({
  handlerModule: ${JSON.stringify(pathToFileURL(join(dir, 'handler.mjs')).href)},
  codeDir: ${JSON.stringify(join(dir, 'code'))},
  concurrency: 1,
  env: () => process.env,
  output: 'inherit'
})
process.once('SIGINT', async () => {
  await runtime.close()
  process.exit(0)
})
await runtime.start()
runtime.invoke({ n: 1 })`)
  const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'runtime.mjs')], { cwd: ROOT, detached: true, stdio: 'inherit' })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  return child
}

/** The pid of the worker running the invocation, once it has started. */
async function invocationStarted (t: Test, dir: string): Promise<number> {
  const [call] = await waitFor(async () => calls(dir).length > 0 ? calls(dir) : undefined, 20_000, 'the invocation to start')
  t.teardown(() => { if (running(call!.pid)) process.kill(call!.pid, 'SIGKILL') })
  return call!.pid
}

/** Whether `pid` is a live process; a zombie (dead, not yet reaped by an init that may never reap it) is not. */
function running (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : ''
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
}

async function exitWithin (child: ChildProcess, ms: number): Promise<number | null> {
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  return code
}

t.test('Ctrl-C (SIGINT to the process group) lets the running invocation finish, then stops at once', async t => {
  const dir = dataDirectory(t)
  const child = startInTerminal(t, dir, `
    await new Promise(resolve => setTimeout(resolve, 1000))
    appendFileSync(CALLS + '.done', 'finished')`)
  const worker = await invocationStarted(t, dir)
  const signalled = performance.now()
  process.kill(-child.pid!, 'SIGINT')
  const code = await exitWithin(child, 20_000)
  const stoppedMs = performance.now() - signalled
  const done = join(dir, 'calls.log.done')
  t.equal(existsSync(done) ? readFileSync(done, 'utf8') : 'not finished', 'finished', 'the worker did not get the SIGINT: the file was finished')
  t.equal(code, 0, 'closed cleanly')
  t.ok(stoppedMs < 8000, `stopped ${Math.round(stoppedMs)} ms after Ctrl-C, the 1 s invocation included: not held by the 10 s grace`)
  t.notOk(running(worker), 'the worker is gone')
})

t.test('a worker does not outlive its parent: when the runtime\'s process is killed, so is the worker', async t => {
  const dir = dataDirectory(t)
  const child = startInTerminal(t, dir, 'await new Promise(() => setInterval(() => {}, 1000))')
  const worker = await invocationStarted(t, dir)
  process.kill(child.pid!, 'SIGKILL')
  await exitWithin(child, 20_000)
  await waitFor(async () => running(worker) ? undefined : true, 5_000, `worker ${worker} to exit after its parent`)
  t.pass(`worker ${worker} exited with its parent`)
})
