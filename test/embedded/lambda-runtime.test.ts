// The embedded Lambda runtime with small handler modules written for the test: concurrency, retries, crashes.
import t, { type Test } from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { LambdaRuntime, type LambdaRuntimeOptions } from '../../embedded/lambda-runtime.ts'
import { waitFor } from '../helpers/stack.ts'

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
  const dir = t.testdir()
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
