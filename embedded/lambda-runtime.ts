// Invokes the Lambda handler asynchronously, as AWS does: in child processes, a bounded number at once, with retries.
import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { bundleLambdaCode, type LambdaCode } from './lambda-bundle.ts'

/** One invocation as sent to a worker; `requestId` is the context's awsRequestId. */
export interface Invocation { id: number, requestId: string, event: unknown }
export interface InvocationResult { id: number, ok: boolean, error?: string }

export interface LambdaRuntimeOptions {
  /** URL of a JavaScript module exporting `handler`; by default the product's handler, bundled as it is deployed. */
  handlerModule?: string
  /** Folder the workers' code is bundled into by `start()`. */
  codeDir: string
  /** Most invocations running at once; each runs in its own child process, all started by `start()`. */
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

/** `node --cpu-prof --cpu-prof-dir=… embedded/main.ts` profiles the workers too (Node refuses these in NODE_OPTIONS). */
const PROFILING_FLAGS = process.execArgv.filter(flag => /^--(cpu|heap)-prof/.test(flag))

interface Job { event: unknown, attempt: number }
interface Worker { child: ChildProcess, ready: boolean, job?: Job, settle?: (result: InvocationResult) => void }

export class LambdaRuntime {
  readonly #options: Required<Omit<LambdaRuntimeOptions, 'handlerModule'>> & Pick<LambdaRuntimeOptions, 'handlerModule'>
  readonly #queue: Job[] = []
  /** Every child process, ready or still loading the handler. */
  readonly #workers = new Set<Worker>()
  readonly #retryTimers = new Set<NodeJS.Timeout>()
  #code: LambdaCode | undefined
  #nextId = 1
  #closed = false
  #idleWaiters: Array<() => void> = []

  constructor (options: LambdaRuntimeOptions) {
    this.#options = {
      retryDelaysMs: [1000, 2000],
      output: 'inherit',
      onFailure: () => {},
      ...options
    }
  }

  /**
   * Bundles the workers' code and starts `concurrency` workers; resolves once each has loaded the handler or failed
   * to (that failure is charged to the next invocation, as Lambda reports an init error). Invocations wait until then.
   */
  async start (): Promise<void> {
    this.#code = await bundleLambdaCode(this.#options.codeDir, this.#options.handlerModule)
    if (this.#closed) return
    await Promise.all(Array.from({ length: this.#options.concurrency - this.#workers.size }, () => this.#spawn()))
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

  /**
   * Stops taking work, lets running invocations finish (up to `graceMs`), then stops the child processes.
   * An invocation whose process has died is over: it does not hold the stop.
   */
  async close (graceMs = 10_000): Promise<void> {
    this.#closed = true
    this.#queue.length = 0
    for (const timer of this.#retryTimers) clearTimeout(timer)
    this.#retryTimers.clear()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.idle(), new Promise(resolve => { timer = setTimeout(resolve, graceMs) })])
    clearTimeout(timer)
    await Promise.all([...this.#workers].map(async ({ child }) => {
      const exited = once(child, 'exit')
      child.kill()
      await exited
    }))
    for (const resolve of this.#idleWaiters.splice(0)) resolve()
  }

  #pump (): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const worker = [...this.#workers].find(w => w.ready && w.job === undefined)
      if (worker === undefined) {
        // Workers lost while idle or while loading the handler are replaced when there is work for them.
        if (this.#code !== undefined && this.#workers.size < this.#options.concurrency) this.#spawn()
        break
      }
      this.#run(worker, this.#queue.shift()!)
    }
    this.#notifyIdle()
  }

  /** Starts one worker; resolves once it is ready for work or has exited. */
  async #spawn (): Promise<void> {
    const output = this.#options.output
    const child = fork(this.#code!.worker, [], {
      env: { ...this.#options.env(), LAMBDA_HANDLER_MODULE: this.#code!.handlerModule },
      // Plain Node running bundled JavaScript, as on Lambda: none of this process's loaders (tsx), only its profiling.
      execArgv: PROFILING_FLAGS,
      // Its own process group: a terminal's Ctrl-C goes to the runtime, which drains, not to a handler mid-file.
      detached: true,
      stdio: ['ignore', output, output, 'ipc']
    })
    const worker: Worker = { child, ready: false }
    this.#workers.add(worker)
    await new Promise<void>(resolve => {
      child.once('message', () => {
        worker.ready = true
        child.on('message', (result: InvocationResult) => worker.settle?.(result))
        resolve()
        this.#pump()
      })
      child.once('exit', (code, signal) => {
        resolve()
        this.#exited(worker, `the handler's process exited (code ${code}, signal ${signal})`)
      })
    })
  }

  #exited (worker: Worker, error: string): void {
    this.#workers.delete(worker)
    if (!worker.ready) {
      // It died while loading the handler: count that against the next job, so a broken handler cannot spin.
      const job = this.#queue.shift()
      if (job !== undefined) this.#failed(job, `the handler could not be loaded: ${error}`)
    } else if (worker.job !== undefined) {
      // It loaded once, so a replacement will too: start it now, warm for the next event or the retry.
      if (!this.#closed) this.#spawn()
      worker.settle!({ id: 0, ok: false, error })
    }
    this.#pump()
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
