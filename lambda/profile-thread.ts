// The core's StreamProfiler on worker_threads: one thread, started when first needed and kept, that scans one file's
// whole text at a time while the handler's thread reads it (shared/csv-stream.ts). It runs profile-worker's code,
// like the profile pool's threads. An idle thread does not keep the process alive.
import type { Worker } from 'node:worker_threads'
import type { GiveUpReason } from '../shared/csv-scan.ts'
import { STREAM_BLOCK_BYTES, type ScanSession, type StreamFindings, type StreamJob, type StreamProfiler } from '../shared/csv-stream.ts'
import { startWorker } from './profile-pool.ts'

type Answer = { block: ArrayBuffer, gaveUp: GiveUpReason | undefined } | { findings: StreamFindings } | { warm: true } | { error: string }
interface Pending { resolve: (answer: Answer) => void, reject: (err: Error) => void }

export class ProfileThread implements StreamProfiler {
  readonly blockBytes: number
  #worker: Worker | undefined
  /** The session of the text being scanned, if one is. */
  #current: object | undefined
  /** Answers awaited from the thread, in the order it gives them. */
  readonly #pending: Pending[] = []

  constructor (blockBytes = STREAM_BLOCK_BYTES) {
    this.blockBytes = blockBytes
  }

  open (job: StreamJob): ScanSession | undefined {
    if (this.#current !== undefined) return undefined
    const worker = this.#worker ?? this.#start()
    worker.ref()
    worker.postMessage({ stream: 'open', job })
    const session: ScanSession = {
      scan: async (block, length) => {
        const answer = await this.#ask(worker, { stream: 'block', block, length }, [block])
        if (!('block' in answer)) throw new Error('the profile thread answered a block with something else')
        return answer
      },
      finish: async () => {
        const answer = await this.#ask(worker, { stream: 'finish' })
        if (!('findings' in answer)) throw new Error('the profile thread answered the end of a text with something else')
        return answer.findings
      },
      close: () => {
        if (this.#current !== session) return
        this.#current = undefined
        worker.postMessage({ stream: 'close' })
        worker.unref()
      }
    }
    this.#current = session
    return session
  }

  /**
   * Starts the thread and has it load its code and a WebAssembly instance, so the first large file does not wait
   * for them: for a processor's start-up, once per process. The thread does not keep the process alive.
   */
  async warm (): Promise<void> {
    const worker = this.#worker ?? this.#start()
    worker.ref()
    try {
      await this.#ask(worker, { stream: 'warm' })
    } finally {
      if (this.#current === undefined) worker.unref()
    }
  }

  /** Stops the thread (a later text starts another). */
  async close (): Promise<void> {
    const worker = this.#worker
    if (worker === undefined) return
    this.#lost(worker, new Error('the profile thread was stopped'))
    await worker.terminate()
  }

  async #ask (worker: Worker, message: object, transfer: ArrayBuffer[] = []): Promise<Answer> {
    if (this.#worker !== worker) throw new Error('the profile thread stopped while it was scanning this file (the event is retried)')
    const answer = await new Promise<Answer>((resolve, reject) => {
      this.#pending.push({ resolve, reject })
      worker.postMessage(message, transfer)
    })
    if ('error' in answer) throw new Error(`the profile thread failed: ${answer.error}`)
    return answer
  }

  #start (): Worker {
    const worker = startWorker()
    worker.on('message', (answer: Answer) => this.#pending.shift()?.resolve(answer))
    worker.on('error', err => this.#lost(worker, err))
    worker.on('exit', code => this.#lost(worker, new Error(`the profile thread exited with code ${code}`)))
    this.#worker = worker
    return worker
  }

  /** A thread that died: the text it was scanning fails (the file then fails and is retried); the next starts another. */
  #lost (worker: Worker, err: Error): void {
    if (this.#worker !== worker) return
    this.#worker = undefined
    this.#current = undefined
    for (const pending of this.#pending.splice(0)) pending.reject(err)
  }
}
