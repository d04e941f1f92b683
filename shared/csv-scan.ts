// A quote-aware byte scanner that counts CSV records and checks their field counts without building any field.
//
// It follows csv-parse's rules for the options this product uses (one-byte delimiter and quote, the quote
// doubled as its escape, record delimiters CRLF, LF or CR, relaxed quotes, blank lines skipped, comment lines
// only where a record starts), on UTF-8 text without a BOM, so a file it accepts has exactly the rows csv-parse
// would count:
// - a quote opens a quoted field only as the field's first byte; elsewhere it is text;
// - inside a quoted field, a doubled quote is a quote; a quote followed by anything else ends the quoting
//   (before a delimiter or a line end the field ends too; otherwise the rest of the field is text);
// - a record with no bytes at all (a blank line) is skipped; so is a line whose first byte is the comment byte.
// Anything it cannot vouch for (a ragged row, an unclosed quote, a record over the size limit, an empty quoted
// first field followed by the comment byte) makes it give up; csv-parse then reads the file. The hot loop is
// WebAssembly (wasm/csv-scan.as.ts), where SIMD finds the next byte that matters 16 at a time.
import { CSV_SCAN_WASM } from './wasm/csv-scan-wasm.ts'

export type GiveUpReason = 'field-count' | 'unclosed-quote' | 'record-size' | 'header-size' | 'unsupported'

/** The bytes that shape records: one-byte delimiter and quote (doubled to escape itself), comment byte or none. */
export interface ScanDialect {
  delimiter: string
  quote: string
  comment: string | null
}

interface ScanExports {
  memory: WebAssembly.Memory
  inputBase: () => number
  inputCapacity: () => number
  reset: (maxRecordBytes: number, delimiter: number, quote: number, comment: number) => void
  scan: (start: number, end: number) => number
  finish: () => number
  takeRows: () => number
  stopped: () => number
  headerFields: () => number
  blanks: () => number
}

const Status = { more: 0, fieldCount: 1, recordSize: 2, headerEnd: 3, unclosedQuote: 4, unsupported: 5 } as const
const wasmModule = new WebAssembly.Module(Buffer.from(CSV_SCAN_WASM, 'base64'))

export class CsvScanner {
  /** Data rows seen so far (the header excluded). */
  rows = 0
  /** Why the scan stopped vouching for the file, if it did. */
  gaveUp: GiveUpReason | undefined
  readonly #wasm: ScanExports
  readonly #input: Uint8Array
  readonly #maxRecordBytes: number
  /** The bytes from the start of the file to the end of the header record, while and once it is read. */
  readonly #headerChunks: Uint8Array[] = []
  #headerLength = 0
  #headerDone = false

  constructor (maxRecordBytes: number, dialect: ScanDialect) {
    this.#wasm = new WebAssembly.Instance(wasmModule).exports as unknown as ScanExports
    this.#wasm.reset(maxRecordBytes, byte(dialect.delimiter), byte(dialect.quote), dialect.comment === null ? -1 : byte(dialect.comment))
    this.#input = new Uint8Array(this.#wasm.memory.buffer, this.#wasm.inputBase(), this.#wasm.inputCapacity())
    this.#maxRecordBytes = maxRecordBytes
  }

  /** The bytes up to the end of the header, once it has been seen. */
  get headerBytes (): Buffer | undefined {
    return this.#headerDone ? Buffer.concat(this.#headerChunks, this.#headerLength) : undefined
  }

  /** Blank lines skipped so far. */
  get blankLines (): number {
    return this.#wasm.blanks()
  }

  /** Fields in the header; -1 until it has been seen. */
  get headerFields (): number {
    return this.#wasm.headerFields()
  }

  /** Scans the next chunk of UTF-8 text. */
  push (chunk: Uint8Array): void {
    if (this.gaveUp !== undefined || chunk.length === 0) return
    const capacity = this.#input.length
    for (let offset = 0; offset < chunk.length; offset += capacity) {
      const piece = chunk.subarray(offset, offset + capacity)
      this.#input.set(piece)
      this.#scan(piece)
      if (this.gaveUp !== undefined) return
    }
  }

  /** Call after the last chunk. */
  end (): void {
    if (this.gaveUp !== undefined) return
    const status = this.#wasm.finish()
    this.rows += this.#wasm.takeRows()
    if (status === Status.headerEnd) this.#headerDone = true
    else if (status !== Status.more) this.#giveUp(status)
  }

  #scan (piece: Uint8Array): void {
    let start = 0
    for (;;) {
      const status = this.#wasm.scan(start, piece.length)
      this.rows += this.#wasm.takeRows()
      if (status === Status.headerEnd) {
        start = this.#wasm.stopped()
        this.#keepHeader(piece.subarray(0, start))
        this.#headerDone = true
        continue
      }
      if (status !== Status.more) return this.#giveUp(status)
      if (!this.#headerDone) this.#keepHeader(piece)
      return
    }
  }

  #giveUp (status: number): void {
    this.gaveUp = status === Status.fieldCount
      ? 'field-count'
      : status === Status.unclosedQuote
        ? 'unclosed-quote'
        : status === Status.unsupported ? 'unsupported' : this.#headerDone ? 'record-size' : 'header-size'
  }

  /** Keeps bytes of the header while it is still being read, within the record size limit. */
  #keepHeader (bytes: Uint8Array): void {
    this.#headerChunks.push(bytes)
    this.#headerLength += bytes.length
    if (this.#headerLength > this.#maxRecordBytes) this.gaveUp = 'header-size'
  }
}

function byte (character: string): number {
  const code = character.charCodeAt(0)
  if (character.length !== 1 || code > 0x7f) throw new RangeError(`the scanner takes one ASCII byte, not ${JSON.stringify(character)}`)
  return code
}
