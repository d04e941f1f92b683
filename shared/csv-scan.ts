// A quote-aware byte scanner that counts CSV records and checks their field counts without building any field.
//
// It follows csv-parse's rules for the options this product uses (delimiter ",", quote and escape '"',
// record delimiters CRLF, LF or CR, relaxed quotes, blank lines skipped, a leading UTF-8 BOM ignored), so a
// file it accepts has exactly the rows csv-parse would count:
// - a quote opens a quoted field only as the field's first byte; elsewhere it is text;
// - inside a quoted field, "" is a quote; a quote followed by a delimiter, a line end or the end of the file
//   closes the field; followed by anything else, the field turns unquoted (its quotes are then text);
// - a record with no bytes at all (a blank line) is skipped.
// Anything it cannot vouch for (a ragged row, an unclosed quote, a record over the size limit) makes it give
// up; csv-parse then reads the file for the verdict. The hot loop is WebAssembly (wasm/csv-scan.as.ts), where
// SIMD finds the next byte that matters 16 at a time.
import { CSV_SCAN_WASM } from './wasm/csv-scan-wasm.ts'

export type GiveUpReason = 'field-count' | 'unclosed-quote' | 'record-size' | 'header-size'

interface ScanExports {
  memory: WebAssembly.Memory
  inputBase: () => number
  inputCapacity: () => number
  reset: (maxRecordBytes: number) => void
  scan: (start: number, end: number) => number
  finish: () => number
  takeRows: () => number
  stopped: () => number
  headerFields: () => number
  blanks: () => number
}

const Status = { more: 0, fieldCount: 1, recordSize: 2, headerEnd: 3, unclosedQuote: 4 } as const
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
  #started = false

  constructor (maxRecordBytes: number) {
    this.#wasm = new WebAssembly.Instance(wasmModule).exports as unknown as ScanExports
    this.#wasm.reset(maxRecordBytes)
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

  /** Scans the next chunk. The first chunk must hold the whole BOM, if there is one (3 bytes). */
  push (chunk: Uint8Array): void {
    if (this.gaveUp !== undefined || chunk.length === 0) return
    let start = 0
    if (!this.#started) {
      this.#started = true
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3
    }
    const capacity = this.#input.length
    for (let offset = 0; offset < chunk.length; offset += capacity) {
      const piece = chunk.subarray(offset, offset + capacity)
      this.#input.set(piece)
      this.#scan(piece, offset === 0 ? start : 0)
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

  #scan (piece: Uint8Array, start: number): void {
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
      : status === Status.unclosedQuote ? 'unclosed-quote' : this.#headerDone ? 'record-size' : 'header-size'
  }

  /** Keeps bytes of the header while it is still being read, within the record size limit. */
  #keepHeader (bytes: Uint8Array): void {
    this.#headerChunks.push(bytes)
    this.#headerLength += bytes.length
    if (this.#headerLength > this.#maxRecordBytes) this.gaveUp = 'header-size'
  }
}
