// Invokes the Lambda handler asynchronously, as AWS does: in child processes, a bounded number at once, with retries.
import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One invocation as sent to a worker; `requestId` is the context's awsRequestId. */
export interface Invocation { id: number, requestId: string, event: unknown }
export interface InvocationResult { id: number, ok: boolean, error?: string }

const EXTENSION = extname(fileURLToPath(import.meta.url))
const WORKER_PATH = fileURLToPath(new URL(`./lambda-worker${EXTENSION}`, import.meta.url))
/** The product's own handler, the default function this runtime hosts. */
export const HANDLER_MODULE = new URL(`../lambda/handler${EXTENSION}`, import.meta.url).href

export interface LambdaRuntimeOptions {
  /** URL or path of the module exporting `handler`. */
  handlerModule?: string
  /** Most invocations running at once; each runs in its own child process. */
  concurrency: number
  /** Environment of the child processes, read when one starts. */
  env: () => NodeJS.ProcessEnv
  /** Waits before each retry of a failed invocation; Lambda's async invocation retries twice. */
  retryDelaysMs?: number[]
  /** Where the handler's log lines go. */
  output?: 'inherit' | 'ignore'
  /** Called when an invocation failed on its last attempt. */
  onFailure?: (event: unknown, error: string) => void
}

interface Job { event: unknown, attempt: number }
interface Worker { child: ChildProcess, job?: Job, settle?: (result: InvocationResult) => void }

export class LambdaRuntime {
  readonly #options: Required<LambdaRuntimeOptions>
  readonly #queue: Job[] = []
  readonly #workers = new Set<Worker>()
  /** Every child process, ready or still loading the handler. */
  readonly #children = new Set<ChildProcess>()
  readonly #retryTimers = new Set<NodeJS.Timeout>()
  #starting = 0
  #nextId = 1
  #closed = false
  #idleWaiters: Array<() => void> = []

  constructor (options: LambdaRuntimeOptions) {
    this.#options = {
      handlerModule: HANDLER_MODULE,
      retryDelaysMs: [1000, 2000],
      output: 'inherit',
      onFailure: () => {},
      ...options
    }
  }

  /** Queues one asynchronous invocation with `event`. */
  invoke (event: unknown): void {
    if (this.#closed) throw new Error('the Lambda runtime is closed')
    this.#queue.push({ event, attempt: 1 })
    this.#pump()
  }

  /** Resolves once nothing is queued, running or waiting for a retry. */
  async idle (): Promise<void> {
    if (this.#isIdle()) return
    await new Promise<void>(resolve => this.#idleWaiters.push(resolve))
  }

  /** Stops taking work, lets running invocations finish (up to `graceMs`), then stops the child processes. */
  async close (graceMs = 10_000): Promise<void> {
    this.#closed = true
    this.#queue.length = 0
    for (const timer of this.#retryTimers) clearTimeout(timer)
    this.#retryTimers.clear()
    const busy = [...this.#workers].filter(w => w.job !== undefined)
    const deadline = new Promise(resolve => setTimeout(resolve, graceMs).unref())
    await Promise.race([Promise.all(busy.map(w => once(w.child, 'message'))), deadline])
    await Promise.all([...this.#children].map(async child => {
      const exited = once(child, 'exit')
      child.kill()
      await exited
    }))
    for (const resolve of this.#idleWaiters.splice(0)) resolve()
  }

  #pump (): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const worker = [...this.#workers].find(w => w.job === undefined)
      if (worker !== undefined) {
        this.#run(worker, this.#queue.shift()!)
      } else if (this.#workers.size + this.#starting < this.#options.concurrency) {
        this.#spawn()
        return
      } else {
        return
      }
    }
    this.#notifyIdle()
  }

  #spawn (): void {
    this.#starting++
    const output = this.#options.output
    const child = fork(WORKER_PATH, [], {
      env: { ...this.#options.env(), LAMBDA_HANDLER_MODULE: this.#options.handlerModule },
      stdio: [output === 'inherit' ? 'inherit' : 'ignore', output, output, 'ipc']
    })
    const worker: Worker = { child }
    this.#children.add(child)
    child.once('message', () => {
      this.#starting--
      this.#workers.add(worker)
      child.on('message', (result: InvocationResult) => worker.settle?.(result))
      this.#pump()
    })
    child.once('exit', (code, signal) => {
      this.#children.delete(child)
      const error = `the handler's process exited (code ${code}, signal ${signal})`
      if (this.#workers.delete(worker)) {
        worker.settle?.({ id: 0, ok: false, error })
      } else {
        // It died while loading the handler: count that against the next job, so a broken handler cannot spin.
        this.#starting--
        const job = this.#queue.shift()
        if (job !== undefined) this.#failed(job, `the handler could not be loaded: ${error}`)
      }
      if (!this.#closed) this.#pump()
    })
  }

  #run (worker: Worker, job: Job): void {
    const invocation: Invocation = { id: this.#nextId++, requestId: randomUUID(), event: job.event }
    worker.job = job
    worker.settle = result => {
      worker.job = undefined
      worker.settle = undefined
      if (!result.ok) this.#failed(job, result.error ?? 'unknown error')
      this.#pump()
    }
    worker.child.send(invocation)
  }

  #failed (job: Job, error: string): void {
    const delay = this.#options.retryDelaysMs[job.attempt - 1]
    if (delay === undefined || this.#closed) {
      this.#options.onFailure(job.event, error)
      return
    }
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer)
      this.#queue.push({ event: job.event, attempt: job.attempt + 1 })
      this.#pump()
    }, delay)
    this.#retryTimers.add(timer)
  }

  #isIdle (): boolean {
    return this.#queue.length === 0 && this.#retryTimers.size === 0 &&
      [...this.#workers].every(w => w.job === undefined)
  }

  #notifyIdle (): void {
    if (!this.#isIdle()) return
    for (const resolve of this.#idleWaiters.splice(0)) resolve()
  }
}
