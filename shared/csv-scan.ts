// A quote-aware byte scanner that counts CSV records, checks their field counts and profiles every field.
//
// It follows csv-parse's rules for the options this product uses (one-byte delimiter and quote, the quote
// doubled as its escape, record delimiters CRLF, LF or CR, relaxed quotes, blank lines skipped, comment lines
// only where a record starts), on UTF-8 text without a BOM, so a file it accepts has exactly the rows csv-parse
// would count and the values it would give:
// - a quote opens a quoted field only as the field's first byte; elsewhere it is text;
// - inside a quoted field, a doubled quote is a quote; a quote followed by a delimiter or a line end ends it;
// - a record with no bytes at all (a blank line) is skipped; so is a line whose first byte is the comment byte.
// Anything it cannot vouch for (a ragged row, an unclosed quote, a record over the size limit, a closing quote
// followed by other text, which csv-parse keeps with its quotes, a field over 1 MiB) makes it give up; csv-parse
// then reads the file. The hot loop is WebAssembly (wasm/csv-scan.as.ts), where SIMD finds the end of each field
// 16 bytes at a time, and the profiler (wasm/csv-profile.as.ts) classifies, measures and hashes each field.
import { readState, sampleText, type ProfileState } from './csv-profile.ts'
import { instantiate, type CsvWasm } from './csv-wasm.ts'

export type GiveUpReason = 'field-count' | 'unclosed-quote' | 'record-size' | 'header-size' | 'unsupported' | 'long-field'

/** The bytes that shape records: one-byte delimiter and quote (doubled to escape itself), comment byte or none. */
export interface ScanDialect {
  delimiter: string
  quote: string
  comment: string | null
}

/**
 * What to profile: at most `maxColumns` columns, and the first record too when it is data (no header). `count`
 * false scans in counting-only mode (no field is profiled); `fields` starts the scan at a record start in the
 * middle of a file whose records have that many fields (every record is data, there is no header to read), and
 * `afterCr` says the byte before that start is a CR (a LF first ends that line).
 */
export interface ProfileOptions {
  maxColumns: number
  firstIsData: boolean
  countOnly?: boolean
  fields?: number
  afterCr?: boolean
}

const Status = { more: 0, fieldCount: 1, recordSize: 2, unclosedQuote: 4, unsupported: 5, longField: 6 } as const
const GIVE_UP: Record<number, GiveUpReason> = {
  [Status.fieldCount]: 'field-count',
  [Status.unclosedQuote]: 'unclosed-quote',
  [Status.unsupported]: 'unsupported',
  [Status.longField]: 'long-field'
}
const decoder = new TextDecoder()

export class CsvScanner {
  /** Data rows seen so far (the header excluded). */
  rows = 0
  /** Why the scan stopped vouching for the file, if it did. */
  gaveUp: GiveUpReason | undefined
  readonly #wasm: CsvWasm
  readonly #maxRecordBytes: number
  readonly #quote: string
  readonly #maxColumns: number
  /** The bytes from the start of the file, until the end of the header record has been seen. */
  readonly #headerChunks: Uint8Array[] = []
  #headerLength = 0
  #header: Buffer | undefined
  readonly #samples: string[][] = []

  /** `wasm`: an instance to reuse (reset here), when no other scanner is using it any more. */
  constructor (maxRecordBytes: number, dialect: ScanDialect, profile: ProfileOptions = { maxColumns: 10_000, firstIsData: false }, wasm: CsvWasm = instantiate()) {
    this.#wasm = wasm
    this.#wasm.reset(maxRecordBytes, byte(dialect.delimiter), byte(dialect.quote), dialect.comment === null ? -1 : byte(dialect.comment), profile.maxColumns, profile.firstIsData)
    if (profile.countOnly === true) this.#wasm.countOnly()
    if (profile.fields !== undefined) {
      this.#wasm.expect(profile.fields, profile.afterCr === true)
      this.#header = Buffer.alloc(0)
    }
    this.#maxRecordBytes = maxRecordBytes
    this.#quote = dialect.quote
    this.#maxColumns = profile.maxColumns
  }

  /** The bytes up to the end of the header, once it has been seen. */
  get headerBytes (): Buffer | undefined {
    return this.#header
  }

  /** Blank lines skipped so far. */
  get blankLines (): number {
    return this.#wasm.blanks()
  }

  /** Blank lines skipped before the header (or the first record, without one). */
  get blankLinesBeforeHeader (): number {
    return this.#wasm.headerBlanks()
  }

  /** Fields in the header; -1 until it has been seen. */
  get headerFields (): number {
    return this.#wasm.headerFields()
  }

  /** The offset in the scanned text where the unfinished record starts: the bytes before it are whole records. */
  get cut (): number {
    return this.#wasm.cut()
  }

  /** The profile of the data fields scanned so far (every column of the header's width). */
  profileState (): ProfileState {
    return readState(this.#wasm, Math.max(0, Math.min(this.headerFields, this.#maxColumns)), this.#samples)
  }

  /** Scans the next chunk of UTF-8 text. */
  push (chunk: Uint8Array): void {
    if (this.gaveUp !== undefined || chunk.length === 0) return
    for (let offset = 0; offset < chunk.length;) {
      const at = this.#wasm.prepare()
      const piece = chunk.subarray(offset, offset + this.#wasm.room())
      new Uint8Array(this.#wasm.memory.buffer, at, piece.length).set(piece)
      offset += piece.length
      const status = this.#wasm.scan(piece.length)
      this.#after(status, piece)
      if (this.gaveUp !== undefined) return
    }
  }

  /** Call after the last chunk. */
  end (): void {
    if (this.gaveUp !== undefined) return
    this.#after(this.#wasm.finish(), undefined)
  }

  #after (status: number, piece: Uint8Array | undefined): void {
    this.rows += this.#wasm.takeRows()
    this.#takeSamples()
    if (this.#header === undefined) this.#keepHeader(piece)
    if (status === Status.recordSize) this.gaveUp = this.#header === undefined ? 'header-size' : 'record-size'
    else if (status !== Status.more) this.gaveUp = GIVE_UP[status]
  }

  /**
   * Keeps bytes of the header while it is still being read, within the record size limit: copies, since the caller
   * may fill its buffer again (a block goes back to the reading thread) before the header's end comes.
   */
  #keepHeader (bytes: Uint8Array | undefined): void {
    const end = this.#wasm.headerBytes()
    if (end >= 0) {
      // Only the header's bytes (its end counts a line end even where the text ends without one): the rest of a
      // 1 MiB chunk would be copied into fresh memory for nothing.
      const chunks = bytes === undefined ? this.#headerChunks : [...this.#headerChunks, bytes]
      this.#header = Buffer.concat(chunks, Math.min(end, this.#headerLength + (bytes?.length ?? 0)))
      this.#headerChunks.length = 0
      return
    }
    if (bytes !== undefined) {
      this.#headerChunks.push(new Uint8Array(bytes))
      this.#headerLength += bytes.length
    }
    if (this.#headerLength > this.#maxRecordBytes) this.gaveUp = 'header-size'
  }

  /** New distinct values the profiler met: decoded while their bytes are still in the buffer. */
  #takeSamples (): void {
    const count = this.#wasm.takeSamples()
    if (count === 0) return
    const memory = this.#wasm.memory.buffer
    const entries = new Int32Array(memory, this.#wasm.samplesBase(), count * 4)
    for (let k = 0; k < count; k++) {
      const [column, at, length, escaped] = entries.subarray(k * 4, k * 4 + 4) as unknown as [number, number, number, number]
      // Enough bytes for 80 characters of four bytes, or of doubled quotes.
      let text = decoder.decode(new Uint8Array(memory, at, Math.min(length, escaped === 1 ? 640 : 320)))
      if (escaped === 1) text = text.replaceAll(this.#quote + this.#quote, this.#quote)
      ;(this.#samples[column] ??= []).push(sampleText(text))
    }
  }
}

function byte (character: string): number {
  const code = character.charCodeAt(0)
  if (character.length !== 1 || code > 0x7f) throw new RangeError(`the scanner takes one ASCII byte, not ${JSON.stringify(character)}`)
  return code
}
