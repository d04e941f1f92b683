// Where each record csv-parse reports begins: its first byte in the text and the line that byte is on. csv-parse
// tells where a record ends (`info.bytes`), not where it starts; it skips blank and comment lines between records
// without a trace; and its own line count takes a CRLF inside a quoted field for two lines.
//
// The start of a record is the end of the previous one, past the blank lines (CRLF, LF or CR) and comment lines
// csv-parse skipped there. RecordStarts sees every chunk just before the parser does, counts its line breaks, and
// keeps only the last few chunks, so it finds each start in constant memory whatever the size of the records. A
// start's line is worked out only when asked for (an error's examples), from the chunk it is in.

const LF = 0x0a
const CR = 0x0d

/** Bytes kept from before the current chunk: csv-parse may hold the last few bytes of a chunk back to the next one. */
const KEEP_BEFORE = 16

/** A chunk handed to the parser: where it starts in the text, and the line breaks before it. */
interface Chunk {
  bytes: Buffer
  offset: number
  linesBefore: number
  /** Its previous chunk ended with CR: an LF first in this one ends the same line. */
  afterCr: boolean
}

/** Where a record starts: its offset in the text, and its line (1-based), counted when first read. */
export class RecordStart {
  readonly byte: number
  /** The chunk the byte is in, held until the line is counted. */
  #chunk: Chunk | undefined
  #line = 1

  constructor (byte: number, chunk: Chunk | undefined) {
    this.byte = byte
    this.#chunk = chunk
  }

  get line (): number {
    const chunk = this.#chunk
    if (chunk !== undefined) {
      this.#line = chunk.linesBefore + lineBreaks(chunk.bytes, this.byte - chunk.offset, chunk.afterCr) + 1
      this.#chunk = undefined
    }
    return this.#line
  }
}

export class RecordStarts {
  readonly #comment: number
  /** The last chunks handed to the parser; the last one is being parsed. */
  readonly #chunks: Chunk[] = []
  #kept = 0
  /** Offset and line breaks at the end of everything added. */
  #end = 0
  #lines = 0
  #afterCr = false
  /** Where the scan for the next record's first byte stands; the byte once found. */
  #scanAt = 0
  #inComment = false
  #found: RecordStart | undefined

  constructor (comment: string | null) {
    this.#comment = comment === null ? -1 : comment.charCodeAt(0)
  }

  /** Call with each chunk, in order, just before the parser reads it. */
  add (bytes: Buffer): void {
    if (bytes.length === 0) return
    this.#chunks.push({ bytes, offset: this.#end, linesBefore: this.#lines, afterCr: this.#afterCr })
    this.#kept += bytes.length
    this.#end += bytes.length
    this.#lines += lineBreaks(bytes, bytes.length, this.#afterCr)
    this.#afterCr = bytes[bytes.length - 1] === CR
    while (this.#chunks.length > 1 && this.#kept - this.#chunks[0]!.bytes.length >= bytes.length + KEEP_BEFORE) {
      this.#kept -= this.#chunks.shift()!.bytes.length
    }
    this.#scan()
  }

  /** The start of the record csv-parse reports as ending at `end` (its `info.bytes`); call for every record, in order. */
  next (end: number): RecordStart {
    const start = this.pending()
    this.#scanAt = end
    this.#inComment = false
    this.#found = undefined
    this.#scan()
    return start
  }

  /** The start of the record after the last one reported: the one being read when the parser stopped. */
  pending (): RecordStart {
    return this.#found ?? new RecordStart(this.#scanAt, this.#chunks.findLast(c => c.offset <= this.#scanAt))
  }

  /**
   * Moves the scan over blank and comment lines, as far as the kept chunks go. A line break (CR, LF, or both) at
   * the start of a line is a blank line; the comment byte there starts a comment line, which a line break ends.
   */
  #scan (): void {
    if (this.#found !== undefined) return
    for (const chunk of this.#chunks) {
      const { bytes, offset } = chunk
      // The bytes at #scanAt are always kept (csv-parse holds back only a few); were they not, the scan starts where kept bytes do.
      for (let i = Math.max(this.#scanAt - offset, 0); i < bytes.length; i++) {
        const byte = bytes[i]
        if (byte === LF || byte === CR) this.#inComment = false
        else if (this.#inComment) continue
        else if (byte === this.#comment) this.#inComment = true
        else {
          this.#found = new RecordStart(offset + i, chunk)
          return
        }
      }
      this.#scanAt = Math.max(this.#scanAt, offset + bytes.length)
    }
  }
}

/** Line breaks (CRLF, LF or CR) in the first `length` bytes; `afterCr` when the byte before them was a CR. */
function lineBreaks (bytes: Buffer, length: number, afterCr: boolean): number {
  let breaks = 0
  for (let i = bytes.indexOf(CR); i !== -1 && i < length; i = bytes.indexOf(CR, i + 1)) breaks++
  for (let i = bytes.indexOf(LF); i !== -1 && i < length; i = bytes.indexOf(LF, i + 1)) {
    if (!(i === 0 ? afterCr : bytes[i - 1] === CR)) breaks++
  }
  return breaks
}
