// The core's PieceProfiler on worker_threads: a few threads, started when first needed, each profiling one piece
// at a time. Bundled, the worker is `profile-worker.mjs` beside the handler's `index.mjs` (scripts/build.ts,
// embedded/lambda-bundle.ts); from source, `profile-worker.ts` bundled. Idle threads do not keep the process alive.
import { createRequire } from 'node:module'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { PieceJob, PieceProfiler, PieceResult } from '../shared/csv-pieces.ts'

const EXTENSION = extname(fileURLToPath(import.meta.url))
export const WORKER_URL = new URL(`./profile-worker${EXTENSION}`, import.meta.url)

/** A thread running the worker; from source, its bundle, with plain Node options (it needs none of the process's loaders). */
export function startWorker (): Worker {
  if (EXTENSION !== '.ts') return new Worker(WORKER_URL)
  return new Worker(sourceBundle(), { execArgv: ['--enable-source-maps'] })
}

let bundle: URL | undefined

/**
 * From source (tests, scripts): the worker bundled once per process by esbuild, as the build bundles it, and run as
 * a data: URL. Not a TypeScript loader in each thread: on Node 20 each would start its own module-hooks thread,
 * and terminating a thread with one sometimes never reports its exit, so an awaited close never settled.
 */
function sourceBundle (): URL {
  if (bundle === undefined) {
    const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild')
    const { outputFiles } = buildSync({ entryPoints: [fileURLToPath(WORKER_URL)], bundle: true, platform: 'node', format: 'esm', sourcemap: 'inline', write: false, logLevel: 'warning' })
    bundle = new URL('data:text/javascript;base64,' + Buffer.from(outputFiles[0]!.contents).toString('base64'))
  }
  return bundle
}
/** Bytes per piece: large enough that a piece's round trip is small beside its scan, small enough to spread a file. */
export const PIECE_BYTES = 4 << 20

interface Task { job: PieceJob, piece: Uint8Array, handOver: boolean, resolve: (result: PieceResult) => void, reject: (err: Error) => void }

export class ProfilePool implements PieceProfiler {
  readonly workers: number
  readonly pieceBytes: number
  readonly #idle: Worker[] = []
  readonly #busy = new Map<Worker, Task>()
  readonly #queue: Task[] = []

  constructor (workers: number, pieceBytes = PIECE_BYTES) {
    this.workers = workers
    this.pieceBytes = pieceBytes
  }

  profile (job: PieceJob, piece: Uint8Array, handOver = false): Promise<PieceResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, piece, handOver, resolve, reject })
      this.#pump()
    })
  }

  /** Stops every thread. */
  async close (): Promise<void> {
    const all = [...this.#idle.splice(0), ...this.#busy.keys()]
    await Promise.all(all.map(worker => worker.terminate()))
  }

  #pump (): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? (this.#busy.size < this.workers ? this.#start() : undefined)
      if (worker === undefined) return
      const task = this.#queue.shift()!
      this.#busy.set(worker, task)
      worker.ref()
      const { piece, handOver } = task
      worker.postMessage({ job: task.job, piece, handOver }, handOver ? [piece.buffer as ArrayBuffer] : [])
    }
  }

  #start (): Worker {
    const worker = startWorker()
    worker.on('message', (answer: { result: PieceResult } | { error: string }) => {
      const task = this.#busy.get(worker)!
      this.#busy.delete(worker)
      worker.unref()
      this.#idle.push(worker)
      if ('result' in answer) task.resolve(answer.result)
      else task.reject(new Error(`a profile worker failed: ${answer.error}`))
      this.#pump()
    })
    worker.on('error', err => this.#lost(worker, err))
    worker.on('exit', code => this.#lost(worker, new Error(`a profile worker exited with code ${code}`)))
    return worker
  }

  /** A thread that died: its piece fails (the file then fails and is retried), the others go on. */
  #lost (worker: Worker, err: Error): void {
    const task = this.#busy.get(worker)
    this.#busy.delete(worker)
    const idle = this.#idle.indexOf(worker)
    if (idle >= 0) this.#idle.splice(idle, 1)
    task?.reject(err)
    this.#pump()
  }
}
