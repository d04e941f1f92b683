// Scans a file's whole text, in order, on a thread of its own while the caller's thread reads: the text goes there in
// blocks of 4 MiB that come back to be filled again, and what the scanner found comes back at the end (each block
// wakes the thread, which costs this VM more than a copy: 1 MiB blocks cost a 1 GB file 0.7-1 s more CPU). One
// scanner sees every byte, as on the caller's thread, so the profile's distinct sets are never rebuilt per piece
// (csv-pieces.ts cuts the text for several threads instead). A text that ends within its first block is scanned on
// the caller's thread, without the round trip. The thread is a port (StreamProfiler), implemented with
// worker_threads outside the core (lambda/profile-thread.ts).
import type { ProfileState } from './csv-profile.ts'
import { CsvScanner, type GiveUpReason, type ScanDialect } from './csv-scan.ts'
import { borrowInstance, returnInstance, type CsvWasm } from './csv-wasm.ts'

export const STREAM_BLOCK_BYTES = 4 << 20
/** Blocks with the thread at most: the reading thread waits for the oldest beyond that. */
const STREAM_BLOCKS = 3

/** What the stream's scanner needs: the dialect and the limits of the file's read. */
export interface StreamJob {
  dialect: ScanDialect
  maxColumns: number
  maxRecordBytes: number
  firstIsData: boolean
}

/** What a scan of the whole text found: what CsvScanner tells once it has ended. */
export interface StreamFindings {
  rows: number
  blankLines: number
  headerFields: number
  headerBytes: Uint8Array | undefined
  gaveUp: GiveUpReason | undefined
  state: ProfileState
}

/** One text's scan on the thread; calls are answered in the order they were made. */
export interface ScanSession {
  /** Scans the first `length` bytes of `block`, handed over; resolves to the block, to be filled again. */
  scan: (block: ArrayBuffer, length: number) => Promise<{ block: ArrayBuffer, gaveUp: GiveUpReason | undefined }>
  /** Ends the text and answers what the scan found. */
  finish: () => Promise<StreamFindings>
  /** Frees the thread for the next text (after `finish`, or instead of it when the read stops). */
  close: () => void
}

/** A thread that scans one text at a time: `open` is undefined while it has one. */
export interface StreamProfiler {
  /** Bytes per block sent (STREAM_BLOCK_BYTES; tests send small ones). */
  readonly blockBytes: number
  open: (job: StreamJob) => ScanSession | undefined
}

/** The scanner of one text: what the thread runs for a session, and what the caller's thread runs for a small text. */
export class StreamScan {
  readonly #wasm: CsvWasm
  readonly #scanner: CsvScanner
  #done = false

  constructor (job: StreamJob) {
    this.#wasm = borrowInstance()
    this.#scanner = new CsvScanner(job.maxRecordBytes, job.dialect, { maxColumns: job.maxColumns, firstIsData: job.firstIsData }, this.#wasm)
  }

  /** Why the scanner gave up, if it did. */
  get gaveUp (): GiveUpReason | undefined {
    return this.#scanner.gaveUp
  }

  push (bytes: Uint8Array): void {
    this.#scanner.push(bytes)
  }

  finish (): StreamFindings {
    const scanner = this.#scanner
    scanner.end()
    const findings = { rows: scanner.rows, blankLines: scanner.blankLines, headerFields: scanner.headerFields, headerBytes: scanner.headerBytes, gaveUp: scanner.gaveUp, state: scanner.profileState() }
    this.close()
    return findings
  }

  close (): void {
    if (!this.#done) returnInstance(this.#wasm)
    this.#done = true
  }
}

/** Blocks back from the thread, for the next text's: fresh memory costs more to touch than to copy into. */
const spare: ArrayBuffer[] = []

function freshBlock (bytes: number): ArrayBuffer {
  return spare.at(-1)?.byteLength === bytes ? spare.pop()! : new ArrayBuffer(bytes)
}

function keep (block: ArrayBuffer): void {
  if (spare.length < STREAM_BLOCKS) spare.push(block)
}

/** The reading thread's side: copies the text into blocks and sends them, at most STREAM_BLOCKS at a time. */
export class ThreadedScan {
  /** Why the scanner gave up, once a block's answer says so. */
  gaveUp: GiveUpReason | undefined
  readonly #profiler: StreamProfiler
  readonly #job: StreamJob
  #session: ScanSession | undefined
  #block: ArrayBuffer | undefined
  #filled = 0
  readonly #inFlight: Array<Promise<{ block: ArrayBuffer, gaveUp: GiveUpReason | undefined }>> = []

  constructor (profiler: StreamProfiler, job: StreamJob) {
    this.#profiler = profiler
    this.#job = job
  }

  async push (chunk: Uint8Array): Promise<void> {
    const size = this.#profiler.blockBytes
    for (let at = 0; at < chunk.length && this.gaveUp === undefined;) {
      this.#block ??= freshBlock(size)
      const n = Math.min(chunk.length - at, size - this.#filled)
      new Uint8Array(this.#block, this.#filled, n).set(chunk.subarray(at, at + n))
      this.#filled += n
      at += n
      if (this.#filled === size) await this.#send()
    }
  }

  /** What the scan of the whole text found; scanned here when it ended within its first block. */
  async finish (): Promise<StreamFindings> {
    if (this.#session === undefined) {
      const local = new StreamScan(this.#job)
      if (this.#block !== undefined) local.push(new Uint8Array(this.#block, 0, this.#filled))
      const found = local.finish()
      this.#recycle()
      return found
    }
    if (this.#filled > 0) await this.#send()
    while (this.#inFlight.length > 0) await this.#settle()
    return await this.#session.finish()
  }

  /** Frees the thread (the read stopped, or is done); blocks still there are let go. */
  close (): void {
    this.#recycle()
    for (const pending of this.#inFlight.splice(0)) pending.catch(() => {})
    this.#session?.close()
    this.#session = undefined
  }

  async #send (): Promise<void> {
    this.#session ??= this.#profiler.open(this.#job) ?? localSession(this.#job)
    const scanned = this.#session.scan(this.#block!, this.#filled)
    // Awaited in order below; a block that fails while an earlier one is awaited must not be an unhandled rejection.
    scanned.catch(() => {})
    this.#inFlight.push(scanned)
    this.#block = undefined
    this.#filled = 0
    if (this.#inFlight.length >= STREAM_BLOCKS) await this.#settle()
  }

  async #settle (): Promise<void> {
    const { block, gaveUp } = await this.#inFlight.shift()!
    this.gaveUp ??= gaveUp
    keep(block)
  }

  #recycle (): void {
    if (this.#block !== undefined) keep(this.#block)
    this.#block = undefined
    this.#filled = 0
  }
}

/** A session on the caller's thread, when the profiler's thread already has a text (two files read at once). */
function localSession (job: StreamJob): ScanSession {
  const scan = new StreamScan(job)
  return {
    scan: async (block, length) => {
      scan.push(new Uint8Array(block, 0, length))
      return { block, gaveUp: scan.gaveUp }
    },
    finish: async () => scan.finish(),
    close: () => scan.close()
  }
}
