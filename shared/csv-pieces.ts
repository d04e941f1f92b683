// Profiles a file's text in pieces on other threads while the caller reads it. Each piece ends exactly at a record
// boundary and starts outside any quote, so a piece's profiler starts in the state a sequential read would be in.
// The boundaries come from one of two cutters: by default the quotes are counted (csv-cut.ts: in text without
// comment lines, a line end is between records exactly when an even number of quotes comes before it), which
// leaves the reading thread free; the pieces' scanners then count the rows and check every record, and a piece
// that ends inside a quoted field (a stray quote made a wrong cut) gives the file up to the reference path, as any
// other problem does. With comment lines, the caller's counting scan (CsvScanner in counting-only mode) cuts.
// The threads are a port (PieceProfiler), implemented with worker_threads outside the core (lambda/profile-pool.ts).
// The pieces' states are merged in file order (mergeStates), so samples keep the order a sequential read finds them.
import { mergeStates, type ProfileState } from './csv-profile.ts'
import { QuoteCutter } from './csv-cut.ts'
import { CsvScanner, type GiveUpReason, type ScanDialect } from './csv-scan.ts'
import { instantiate, type CsvWasm } from './csv-wasm.ts'

/** What a piece's profiler needs: the dialect, the records' width, and the limits of the file's read. */
export interface PieceJob {
  dialect: ScanDialect
  fields: number
  maxColumns: number
  maxRecordBytes: number
  /** Whether the byte before the piece is a CR (the header's line end, for the first piece). */
  afterCr?: boolean
}

export interface PieceResult {
  rows: number
  blankLines: number
  gaveUp: GiveUpReason | undefined
  state: ProfileState
  /** The piece's buffer, handed back when it was handed over, to be filled again. */
  buffer?: ArrayBuffer
}

/** What the whole text's pieces found: the data rows, the blank lines, the merged profile. */
export interface PiecesResult {
  rows: number
  blankLines: number
  state: ProfileState
}

/** Profiles pieces elsewhere (other threads), `workers` at once. */
export interface PieceProfiler {
  readonly workers: number
  /** About how many bytes a piece holds (it ends at the first record boundary past this size). */
  readonly pieceBytes: number
  /** `handOver`: the piece's whole buffer is the caller's to give away (it comes back in the result). */
  profile: (job: PieceJob, piece: Uint8Array, handOver: boolean) => Promise<PieceResult>
}

/**
 * The bytes of a piece of a file with `fields` columns: `pieceBytes` per 128 columns, at least `pieceBytes`, since a
 * wide piece's state costs more to read out and merge.
 */
export function pieceBytesFor (pieceBytes: number, fields: number): number {
  return Math.ceil(pieceBytes * Math.max(1, fields / 128))
}

/** One WebAssembly instance per thread for its pieces, one after the other: its memory is reused, not collected. */
let instance: CsvWasm | undefined

/** The profile of whole records, starting at a record start: what a worker runs. */
export function profilePiece (job: PieceJob, piece: Uint8Array): PieceResult {
  instance ??= instantiate()
  const scanner = new CsvScanner(job.maxRecordBytes, job.dialect, { maxColumns: job.maxColumns, firstIsData: true, fields: job.fields, afterCr: job.afterCr }, instance)
  scanner.push(piece)
  scanner.end()
  return { rows: scanner.rows, blankLines: scanner.blankLines, gaveUp: scanner.gaveUp, state: scanner.profileState() }
}

/**
 * Cuts the text the caller reads into pieces and has them profiled, at most three per thread in flight (the read
 * then waits for the oldest), so memory stays bounded whatever the file's size. The caller's scanner reads until
 * the header has been seen; from then on, without comment lines, only the quote cutter reads.
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
  /** Cuts by quote parity once the header has been seen (text without comment lines); else the scanner cuts. */
  #cutter: QuoteCutter | undefined
  #afterCr = false
  /** Pieces sent, in file order: with a thread, or profiled here (settled already). */
  readonly #inFlight: Array<Promise<PieceResult>> = []
  /** Pieces with the threads, not yet answered. */
  #withThreads = 0
  /** Bytes per piece: the profiler's, more for a wide file, whose per-piece state costs more to read out and merge. */
  #pieceBytes: number
  #sent = 0
  #rows = 0
  #blankLines = 0
  #state: ProfileState | undefined
  #failed = false
  /** Buffers of pieces profiled, to be filled again: fresh memory costs more to touch than to copy into. */
  readonly #spare: ArrayBuffer[] = []

  constructor (profiler: PieceProfiler, job: Omit<PieceJob, 'fields'>, firstIsData: boolean) {
    this.#profiler = profiler
    this.#job = job
    this.#firstIsData = firstIsData
    this.#pieceBytes = profiler.pieceBytes
  }

  /** Whether the caller's scanner still reads the text (and must be ended); false once the quote cutter does. */
  get scanning (): boolean {
    return this.#cutter === undefined
  }

  /** Whether the text cannot be vouched for: no record boundary within a record's size limit past a piece's. */
  get gaveUp (): boolean {
    return this.#failed
  }

  /** Reads the chunk (the scanner, then the cutter), a piece's size at a time so a large chunk is cut too; may wait for a piece in flight. */
  async push (chunk: Uint8Array, scanner: CsvScanner): Promise<void> {
    for (let at = 0; at < chunk.length && scanner.gaveUp === undefined && !this.#failed; at += this.#pieceBytes) {
      const part = chunk.subarray(at, at + this.#pieceBytes)
      if (this.#cutter !== undefined) {
        this.#keep(part)
        this.#cutter.push(part)
        await this.#cutAt(this.#cutter.cut)
        continue
      }
      scanner.push(part)
      if (scanner.gaveUp !== undefined) return
      this.#keep(part)
      if (this.#begun(scanner) && this.#job.dialect.comment === null) {
        // From the header's end on, quotes are counted instead: the scanner has done its part.
        const header = scanner.headerBytes!
        this.#afterCr = !this.#firstIsData && header[header.length - 1] === 0x0d
        this.#cutter = new QuoteCutter(this.#job.dialect.quote, this.#start)
        // The text kept from the data's start on (without a header, from earlier chunks too).
        let at = this.#chunksAt
        for (const kept of this.#chunks) {
          if (at + kept.length > this.#start) this.#cutter.push(kept.subarray(Math.max(this.#start - at, 0)))
          at += kept.length
        }
        await this.#cutAt(this.#cutter.cut)
      } else {
        await this.#cutAt(scanner.cut)
      }
    }
  }

  #keep (chunk: Uint8Array): void {
    this.#chunks.push(chunk)
    this.#end += chunk.length
  }

  /** Sends the text up to `cut` (a record boundary) as a piece, once it is large enough. */
  async #cutAt (cut: number): Promise<void> {
    if (this.#start < 0) return
    if (cut - this.#start < this.#pieceBytes) {
      if (this.#end - this.#start > this.#pieceBytes + this.#job.maxRecordBytes) this.#failed = true
      return
    }
    this.#send(this.#take(cut))
    // Memory stays bounded by waiting for the oldest beyond three per thread.
    if (this.#inFlight.length > 3 * this.#profiler.workers) await this.#settle(this.#inFlight.shift()!)
  }

  /**
   * After the text's end (and the scanner's, when it was still reading): the rest is the last piece (profiled here
   * when it is the only one: a small file does not wait for a thread), and the rows, blank lines and merged profile
   * of all; undefined when a piece gave up, or its rows differ from the counting scan's.
   */
  async finish (scanner: CsvScanner): Promise<PiecesResult | undefined> {
    if (this.#failed || !this.#begun(scanner)) return undefined
    const rest = this.#take(this.#end)
    if (this.#sent === 0) await this.#settle(Promise.resolve(profilePiece(this.#jobFor(), rest)))
    else this.#send(rest)
    while (this.#inFlight.length > 0) await this.#settle(this.#inFlight.shift()!)
    if (this.#failed || this.#state === undefined) return undefined
    if (this.#cutter !== undefined) {
      const before = this.#firstIsData ? 0 : scanner.blankLinesBeforeHeader
      return { rows: this.#rows, blankLines: before + this.#blankLines, state: this.#state }
    }
    const rows = scanner.rows + (this.#firstIsData ? 1 : 0)
    return this.#rows === rows ? { rows, blankLines: scanner.blankLines, state: this.#state } : undefined
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
    this.#pieceBytes = pieceBytesFor(this.#profiler.pieceBytes, this.#fields)
    // A last line without a line break ends one byte past the text.
    this.#start = this.#firstIsData ? 0 : Math.min(scanner.headerBytes!.length, this.#end)
    return true
  }

  #jobFor (): PieceJob {
    const afterCr = this.#afterCr && this.#sent === 0
    return { ...this.#job, fields: this.#fields, ...(afterCr ? { afterCr } : {}) }
  }

  /**
   * Hands the piece to a thread (each has the next one waiting, so it never idles), or profiles it here when every
   * thread already has one waiting (this thread would only wait).
   */
  #send (piece: Uint8Array): void {
    const job = this.#jobFor()
    this.#sent++
    if (this.#withThreads >= 2 * this.#profiler.workers) {
      this.#inFlight.push(Promise.resolve(profilePiece(job, piece)))
      this.#reuse(piece.buffer as ArrayBuffer)
      return
    }
    this.#withThreads++
    this.#inFlight.push(this.#profiler.profile(job, piece, true).finally(() => { this.#withThreads-- }))
  }

  async #settle (pending: Promise<PieceResult>): Promise<void> {
    const result = await pending
    if (result.gaveUp !== undefined) this.#failed = true
    this.#rows += result.rows
    this.#blankLines += result.blankLines
    if (result.buffer !== undefined) this.#reuse(result.buffer)
    this.#state = this.#state === undefined ? result.state : mergeStates(this.#state, result.state)
  }

  #reuse (buffer: ArrayBuffer): void {
    if (this.#spare.length <= 3 * this.#profiler.workers) this.#spare.push(buffer)
  }

  /** The bytes from #start to `to`, copied to the start of a buffer of their own (transferable); the chunks before are let go. */
  #take (to: number): Uint8Array {
    const size = to - this.#start
    let buffer = this.#spare.pop()
    if (buffer === undefined || buffer.byteLength < size) buffer = new ArrayBuffer(Math.max(size, this.#pieceBytes) * 1.5)
    const piece = new Uint8Array(buffer, 0, size)
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
