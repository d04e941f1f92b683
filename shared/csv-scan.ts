// A quote-aware byte scanner that counts CSV records and checks their field counts without building any field.
//
// It follows csv-parse's rules for the options this product uses (delimiter ",", quote and escape '"',
// record delimiters CRLF, LF or CR, relaxed quotes, blank lines skipped, a leading UTF-8 BOM ignored), so a
// file it accepts has exactly the rows csv-parse would count. Anything it cannot vouch for (a ragged row, an
// unclosed quote, a record over the size limit) makes it give up; csv-parse then reads the file for the verdict.

const QUOTE = 0x22
const COMMA = 0x2c
const CR = 0x0d
const LF = 0x0a
/** Every byte the scanner must look at is at most this; the rest of the bytes are skipped with one comparison. */
const HIGHEST_SPECIAL = COMMA

export type GiveUpReason = 'field-count' | 'unclosed-quote' | 'record-size' | 'header-size'

export class CsvScanner {
  /** Data rows seen so far (the header excluded). */
  rows = 0
  /** Why the scan stopped vouching for the file, if it did. */
  gaveUp: GiveUpReason | undefined
  /** Bytes from the start of the file to the end of the header record (its line end included). */
  readonly #headerChunks: Uint8Array[] = []
  #headerLength = 0
  #headerDone = false
  /** Fields in the header; every record must have as many. */
  #expectedFields = -1

  readonly #maxRecordBytes: number
  #quoted = false
  /** A quote was the last byte of a chunk inside a quoted field: what follows decides what it was. */
  #quotePending = false
  /** A CR was the last byte of a chunk: an LF at the start of the next one belongs to it. */
  #crPending = false
  /** The next byte starts a field (only there does a quote open a quoted field). */
  #atFieldStart = true
  /** Bytes of the current record seen in earlier chunks. */
  #carriedRecordBytes = 0
  #fields = 1
  #bomChecked = false

  constructor (maxRecordBytes: number) {
    this.#maxRecordBytes = maxRecordBytes
  }

  /** The bytes up to the end of the header, once it has been seen. */
  get headerBytes (): Buffer | undefined {
    return this.#headerDone ? Buffer.concat(this.#headerChunks, this.#headerLength) : undefined
  }

  get headerFields (): number {
    return this.#expectedFields
  }

  /** Scans the next chunk. The first chunk must hold the whole BOM, if there is one (3 bytes). */
  push (input: Uint8Array): void {
    if (this.gaveUp !== undefined || input.length === 0) return
    // Buffer's indexOf is memchr; a plain Uint8Array's is much slower.
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length)
    const n = buf.length
    let i = 0
    if (!this.#bomChecked) {
      this.#bomChecked = true
      if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3
    }
    if (this.#crPending) {
      this.#crPending = false
      if (buf[0] === LF) i = 1
    }
    let recordStart = i
    let fieldStart = this.#atFieldStart ? i : -1

    if (this.#quotePending) {
      this.#quotePending = false
      i = this.#afterQuote(buf, i)
      if (i < 0) return this.#keepHeader(buf, n)
      fieldStart = -1
    }

    // The hot loop keeps its state in locals; fields are written back when the chunk is done.
    let quoted = this.#quoted
    let fields = this.#fields
    while (i < n) {
      if (quoted) {
        const quote = buf.indexOf(QUOTE, i)
        if (quote === -1) { i = n; break }
        if (quote + 1 === n) { this.#quotePending = true; i = n; break }
        if (buf[quote + 1] === QUOTE) {
          i = quote + 2
        } else {
          quoted = false
          i = quote + 1
        }
        continue
      }
      let c = buf[i]!
      while (c > HIGHEST_SPECIAL && ++i < n) c = buf[i]!
      if (i === n) break
      if (c === COMMA) {
        fields++
        fieldStart = ++i
      } else if (c === LF || c === CR) {
        const length = i - recordStart + this.#carriedRecordBytes
        if (c === CR) {
          if (i + 1 === n) this.#crPending = true
          else if (buf[i + 1] === LF) i++
        }
        i++
        if (length > 0) {
          this.#fields = fields
          if (!this.#endRecord(length, buf, i)) return
        }
        this.#carriedRecordBytes = 0
        fields = 1
        recordStart = i
        fieldStart = i
      } else if (c === QUOTE && i === fieldStart) {
        quoted = true
        i++
      } else {
        i++
      }
    }
    this.#quoted = quoted
    this.#fields = fields

    this.#atFieldStart = fieldStart === n && !this.#quoted
    this.#carriedRecordBytes += n - recordStart
    if (this.#carriedRecordBytes > this.#maxRecordBytes) this.gaveUp = 'record-size'
    this.#keepHeader(buf, n)
  }

  /** Call after the last chunk. */
  end (): void {
    if (this.gaveUp !== undefined) return
    if (this.#quotePending) {
      this.#quotePending = false
      this.#quoted = false
    }
    if (this.#quoted) {
      this.gaveUp = 'unclosed-quote'
      return
    }
    if (this.#carriedRecordBytes > 0) this.#endRecord(this.#carriedRecordBytes, new Uint8Array(0), 0)
  }

  /**
   * Decides what the quote just before `i` was, inside a quoted field: an escaped quote (""), the end of the
   * field (followed by a delimiter or line end), or, with relaxed quotes, text (the field turns unquoted).
   * Returns where to go on; -1 when the decision waits for the next chunk.
   */
  #afterQuote (buf: Uint8Array, i: number): number {
    if (i === buf.length) {
      this.#quotePending = true
      return -1
    }
    const next = buf[i]
    if (next === QUOTE) return i + 1
    this.#quoted = false
    return i
  }

  /** Closes a non-blank record of `length` bytes that ended just before `end`; false when the scan gives up. */
  #endRecord (length: number, buf: Uint8Array, end: number): boolean {
    if (length > this.#maxRecordBytes) {
      this.gaveUp = this.#expectedFields === -1 ? 'header-size' : 'record-size'
      return false
    }
    if (this.#expectedFields === -1) {
      this.#expectedFields = this.#fields
      this.#headerChunks.push(buf.subarray(0, end))
      this.#headerLength += end
      this.#headerDone = true
      return true
    }
    if (this.#fields !== this.#expectedFields) {
      this.gaveUp = 'field-count'
      return false
    }
    this.rows++
    return true
  }

  /** Keeps the bytes of the header while it is still being read, within the record size limit. */
  #keepHeader (buf: Uint8Array, n: number): void {
    if (this.#headerDone || this.gaveUp !== undefined) return
    this.#headerChunks.push(buf)
    this.#headerLength += n
    if (this.#headerLength > this.#maxRecordBytes) this.gaveUp = 'header-size'
  }
}
