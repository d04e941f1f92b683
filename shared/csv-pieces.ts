// Profiles a file's text in pieces on other threads, while the caller's counting scan (CsvScanner in counting-only
// mode) reads it: the counting scan knows where every record starts, so each piece ends exactly at a record
// boundary and starts outside any quote, and a piece's profiler starts in the state a sequential read would be in.
// The threads are a port (PieceProfiler), implemented with worker_threads outside the core (lambda/profile-pool.ts).
// The pieces' states are merged in file order (mergeStates), so samples keep the order a sequential read finds them.
import { mergeStates, type ProfileState } from './csv-profile.ts'
import { CsvScanner, type GiveUpReason, type ScanDialect } from './csv-scan.ts'
import { instantiate, type CsvWasm } from './csv-wasm.ts'

/** What a piece's profiler needs: the dialect, the records' width, and the limits of the file's read. */
export interface PieceJob {
  dialect: ScanDialect
  fields: number
  maxColumns: number
  maxRecordBytes: number
}

export interface PieceResult {
  rows: number
  gaveUp: GiveUpReason | undefined
  state: ProfileState
}

/** Profiles pieces elsewhere (other threads), `workers` at once. */
export interface PieceProfiler {
  readonly workers: number
  /** About how many bytes a piece holds (it ends at the first record boundary past this size). */
  readonly pieceBytes: number
  profile: (job: PieceJob, piece: Uint8Array) => Promise<PieceResult>
}

/** One WebAssembly instance per thread for its pieces, one after the other: its memory is reused, not collected. */
let instance: CsvWasm | undefined

/** The profile of whole records, starting at a record start: what a worker runs. */
export function profilePiece (job: PieceJob, piece: Uint8Array): PieceResult {
  instance ??= instantiate()
  const scanner = new CsvScanner(job.maxRecordBytes, job.dialect, { maxColumns: job.maxColumns, firstIsData: true, fields: job.fields }, instance)
  scanner.push(piece)
  scanner.end()
  return { rows: scanner.rows, gaveUp: scanner.gaveUp, state: scanner.profileState() }
}

/**
 * Cuts the text a counting scanner reads into pieces and has them profiled, at most one per worker in flight and
 * one waiting (the read waits for the oldest), so memory stays bounded whatever the file's size.
 */
export class Pieces {
  readonly #profiler: PieceProfiler
  readonly #job: Omit<PieceJob, 'fields'>
  /** Whether the first record is data (no header): pieces then start at the text's start. */
  readonly #firstIsData: boolean
  /** The text not yet sent: chunks from offset #chunksAt, of which the bytes from #start on; #end after the last. */
  readonly #chunks: Uint8Array[] = []
  #chunksAt = 0
  #start = -1
  #end = 0
  #fields = -1
  readonly #inFlight: Array<Promise<PieceResult>> = []
  #sent = 0
  #rows = 0
  #state: ProfileState | undefined
  #failed = false

  constructor (profiler: PieceProfiler, job: Omit<PieceJob, 'fields'>, firstIsData: boolean) {
    this.#profiler = profiler
    this.#job = job
    this.#firstIsData = firstIsData
  }

  /** Has `scanner` count the chunk, a piece's size at a time so a large chunk is cut too; may wait for a piece in flight. */
  async push (chunk: Uint8Array, scanner: CsvScanner): Promise<void> {
    for (let at = 0; at < chunk.length && scanner.gaveUp === undefined; at += this.#profiler.pieceBytes) {
      const part = chunk.subarray(at, at + this.#profiler.pieceBytes)
      scanner.push(part)
      if (scanner.gaveUp === undefined) await this.#add(part, scanner)
    }
  }

  async #add (chunk: Uint8Array, scanner: CsvScanner): Promise<void> {
    this.#chunks.push(chunk)
    this.#end += chunk.length
    if (!this.#begun(scanner)) return
    const cut = scanner.cut
    if (cut - this.#start < this.#profiler.pieceBytes) return
    this.#send(this.#take(cut))
    if (this.#inFlight.length > this.#profiler.workers) await this.#settle(this.#inFlight.shift()!)
  }

  /**
   * After the scanner's end: the rest is the last piece (profiled here when it is the only one: a small file does
   * not wait for a thread), and the merged profile of all, or undefined when a piece's rows or verdict differ from
   * the counting scan's.
   */
  async finish (scanner: CsvScanner): Promise<ProfileState | undefined> {
    if (!this.#begun(scanner)) return undefined
    const rows = scanner.rows + (this.#firstIsData ? 1 : 0)
    const rest = this.#take(this.#end)
    if (this.#sent === 0) await this.#settle(Promise.resolve(profilePiece(this.#jobFor(), rest)))
    else this.#send(rest)
    while (this.#inFlight.length > 0) await this.#settle(this.#inFlight.shift()!)
    return this.#failed || this.#rows !== rows ? undefined : this.#state
  }

  /** Stops waiting for the pieces in flight (the scan gave up): their results are dropped. */
  abandon (): void {
    for (const pending of this.#inFlight.splice(0)) pending.catch(() => {})
  }

  /** Whether the data's start is known (once the scanner has seen the first record). */
  #begun (scanner: CsvScanner): boolean {
    if (this.#start >= 0) return true
    if (scanner.headerFields < 0) return false
    this.#fields = scanner.headerFields
    // A last line without a line break ends one byte past the text.
    this.#start = this.#firstIsData ? 0 : Math.min(scanner.headerBytes!.length, this.#end)
    return true
  }

  #jobFor (): PieceJob {
    return { ...this.#job, fields: this.#fields }
  }

  #send (piece: Uint8Array): void {
    this.#sent++
    this.#inFlight.push(this.#profiler.profile(this.#jobFor(), piece))
  }

  async #settle (pending: Promise<PieceResult>): Promise<void> {
    const result = await pending
    if (result.gaveUp !== undefined) this.#failed = true
    this.#rows += result.rows
    this.#state = this.#state === undefined ? result.state : mergeStates(this.#state, result.state)
  }

  /** The bytes from #start to `to`, copied into a buffer of their own (transferable); the chunks before are let go. */
  #take (to: number): Uint8Array {
    const piece = new Uint8Array(to - this.#start)
    let at = this.#chunksAt
    let written = 0
    for (const chunk of this.#chunks) {
      const from = Math.max(this.#start - at, 0)
      const until = Math.min(to - at, chunk.length)
      if (until > from) {
        piece.set(chunk.subarray(from, until), written)
        written += until - from
      }
      at += chunk.length
      if (at >= to) break
    }
    while (this.#chunks.length > 0 && this.#chunksAt + this.#chunks[0]!.length <= to) this.#chunksAt += this.#chunks.shift()!.length
    this.#start = to
    return piece
  }
}
