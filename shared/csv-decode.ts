// Turns an uploaded object into UTF-8 text: gunzipped when it is gzip, decoded from the encoding its first bytes show.
//
// UTF-8 (a BOM is dropped) passes through, checked; UTF-16 with a BOM and Windows-1252 are transcoded to UTF-8 as
// a stream by TextDecoder. A byte that is not UTF-8 after only ASCII means Windows-1252 (what Excel on Windows
// saves as "CSV"); after UTF-8 text it is an encoding error, with its line. When that byte comes after the first
// 64 KiB, the text before it has been handed on as UTF-8 already: reading stops with Reread, and the caller opens
// the object again to read it as Windows-1252 from the start, rather than holding the file in memory.
import { isAscii, isUtf8 } from 'node:buffer'
import { pipeline } from 'node:stream/promises'
import { TextDecoder } from 'node:util'
import { createGunzip } from 'node:zlib'
import type { Compression, Encoding, Issue } from './file-record.ts'
import { ErrorCode, ProcessingError } from './processing-error.ts'

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>

/** The first bytes (after decompression) that decide the encoding; their text is what the dialect sniffer sees. */
export const HEAD_BYTES = 64 * 1024

export interface TextOptions {
  /** Most bytes a gzip body may inflate to before the file fails with decompressed-too-large. */
  maxDecompressedBytes: number
  /** Count lines, so an encoding error can name its line; without, such an error stops the read with Reread. */
  countLines: boolean
  /** Read as Windows-1252: an earlier read found the first byte that is not UTF-8 here, after only ASCII. */
  windows1252At?: number | undefined
}

export interface Text {
  compression: Compression
  encoding: Encoding
  /** About the encoding: a UTF-8 BOM, or the first line that is not UTF-8 (added when the read reaches it). */
  warnings: Issue[]
  /** The text of the first HEAD_BYTES bytes or more, UTF-8 without a BOM. */
  head: Buffer
  /** True when `head` is all of the text. */
  complete: boolean
  /** The rest of the text, after `head`. */
  rest: AsyncIterable<Buffer>
  /** Stops reading the object; for a caller that leaves before the end of `rest`. */
  close: () => Promise<void>
}

/** Reading must start over: as Windows-1252 from the start, or (`windows1252At` undefined) counting lines. */
export class Reread extends Error {
  override name = 'Reread'
  readonly windows1252At: number | undefined

  constructor (windows1252At: number | undefined) {
    super(windows1252At === undefined ? 'read again, counting lines' : `read again as Windows-1252 (byte ${windows1252At} is not UTF-8)`)
    this.windows1252At = windows1252At
  }
}

const GZIP = [0x1f, 0x8b]
const UTF8_BOM = [0xef, 0xbb, 0xbf]
const UTF16LE_BOM = [0xff, 0xfe]
const UTF16BE_BOM = [0xfe, 0xff]
const EXPORT_AS_CSV = 'Export it as CSV and upload that.'
const USE_GZIP = 'Only gzip is decompressed: upload the CSV itself, or gzip it (.csv.gz).'
/** Files uploaded by mistake, known by their first bytes (none a CSV's text starts with), and what to do instead. */
const BINARY_SIGNATURES: Array<{ name: string, bytes: number[], action: string }> = [
  { name: 'PNG image', bytes: [0x89, 0x50, 0x4e, 0x47], action: EXPORT_AS_CSV },
  { name: 'JPEG image', bytes: [0xff, 0xd8, 0xff], action: EXPORT_AS_CSV },
  { name: 'gzip archive', bytes: GZIP, action: EXPORT_AS_CSV },
  { name: 'zip archive (or .xlsx workbook)', bytes: [0x50, 0x4b, 0x03, 0x04], action: EXPORT_AS_CSV },
  { name: 'legacy Office document (.xls)', bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], action: EXPORT_AS_CSV },
  { name: 'PDF document', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], action: EXPORT_AS_CSV },
  { name: 'SQLite database', bytes: [...Buffer.from('SQLite format 3'), 0], action: EXPORT_AS_CSV },
  { name: 'Zstandard-compressed file', bytes: [0x28, 0xb5, 0x2f, 0xfd], action: USE_GZIP },
  { name: 'xz-compressed file', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], action: USE_GZIP },
  { name: '7-Zip archive', bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], action: USE_GZIP },
  // "BZh", the block size (1-9), then the first block's magic or, when empty, the end of the stream's.
  ...[...'123456789'].flatMap(size => [[0x31, 0x41, 0x59, 0x26, 0x53, 0x59], [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]].map(magic =>
    ({ name: 'bzip2-compressed file', bytes: [...Buffer.from(`BZh${size}`), ...magic], action: USE_GZIP })))
]

/**
 * Reads the first HEAD_BYTES of the object (decompressed), decides its compression and encoding, and returns
 * their text with the rest to come. Throws a ProcessingError for an empty, binary or undecodable file.
 */
export async function openText (source: ByteSource, options: TextOptions): Promise<Text> {
  let bytes: AsyncIterator<Buffer> = buffers(source)[Symbol.asyncIterator]()
  try {
    let { head, complete } = await take(bytes, HEAD_BYTES)
    const compression: Compression = startsWith(head, GZIP) ? 'gzip' : null
    if (compression === 'gzip') {
      bytes = gunzip(prepend(head, bytes), options.maxDecompressedBytes)[Symbol.asyncIterator]()
      ;({ head, complete } = await take(bytes, HEAD_BYTES))
    }
    const what = compression === 'gzip' ? 'The decompressed file' : 'The file'
    if (head.length === 0) {
      throw new ProcessingError(ErrorCode.emptyFile, `${what} is empty (0 bytes). Upload a CSV with a header line.`)
    }
    const binary = BINARY_SIGNATURES.find(s => startsWith(head, s.bytes))
    if (binary !== undefined) {
      throw new ProcessingError(ErrorCode.binaryFile, `${what} is a ${binary.name}, not CSV text. ${binary.action}`)
    }
    const warnings: Issue[] = []
    const { encoding, decoder, text } = decodeHead(head, complete, options, warnings)
    const nul = new NulCheck(bomBytes(encoding), encoding === 'utf-8' || encoding === 'windows-1252' ? head : undefined)
    nul.check(text)
    const close = async () => { await bytes.return?.() }
    return { compression, encoding, warnings, head: text, complete, rest: rest(bytes, decoder, nul), close }
  } catch (err) {
    await bytes.return?.()
    throw err
  }
}

/** Decides the encoding from the head's bytes and decodes the head. */
function decodeHead (head: Buffer, complete: boolean, options: TextOptions, warnings: Issue[]): { encoding: Encoding, decoder: Decoder, text: Buffer } {
  const decodeAll = (decoder: Decoder, bytes: Buffer) => {
    const text = decoder.decode(bytes)
    return complete ? Buffer.concat([text, decoder.end()]) : text
  }
  if (startsWith(head, UTF16LE_BOM) || startsWith(head, UTF16BE_BOM)) {
    const encoding = head[0] === 0xff ? 'utf-16le' : 'utf-16be'
    const decoder = new Utf16Decoder(encoding, options.countLines)
    return { encoding, decoder, text: decodeAll(decoder, head) }
  }
  const nul = head.indexOf(0)
  if (nul !== -1) throw nulByte(nul, head)
  if (startsWith(head, UTF8_BOM)) {
    warnings.push({ code: 'bom', message: 'The file starts with a UTF-8 byte order mark; it was ignored.' })
    const decoder = new Utf8Check(true, options.countLines)
    return { encoding: 'utf-8-bom', decoder, text: decodeAll(decoder, head.subarray(UTF8_BOM.length)) }
  }
  let windows1252At = options.windows1252At
  if (windows1252At === undefined) {
    const decoder = new Utf8Check(false, options.countLines)
    try {
      return { encoding: 'utf-8', decoder, text: decodeAll(decoder, head) }
    } catch (err) {
      if (!(err instanceof Reread) || err.windows1252At === undefined) throw err
      windows1252At = err.windows1252At
    }
  }
  const decoder = new Windows1252Decoder(windows1252At, warnings)
  return { encoding: 'windows-1252', decoder, text: decodeAll(decoder, head) }
}

/** The text after the head, checked for NUL characters; closes the object when the caller leaves early. */
async function * rest (bytes: AsyncIterator<Buffer>, decoder: Decoder, nul: NulCheck): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      const next = await bytes.next()
      const text = next.done === true ? decoder.end() : decoder.decode(next.value)
      nul.check(text)
      if (text.length > 0) yield text
      if (next.done === true) return
    }
  } finally {
    await bytes.return?.()
  }
}

/**
 * Bytes per inflated chunk. zlib's default of 16 KiB makes a round trip to the thread pool per 16 KiB: measured on
 * the bench's 105 MB file, gunzip alone ran at 190-235 MB/s with it and 510-540 MB/s with 256 KiB.
 */
export const INFLATE_CHUNK_BYTES = 256 * 1024

/** Inflates a gzip stream (several members too), failing once it has produced more than `maxBytes`. */
async function * gunzip (compressed: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  const inflate = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES })
  const piped = pipeline(compressed, inflate)
  // Its failure is also the failure of the reads below, which report it.
  piped.catch(() => {})
  let total = 0
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) {
      total += chunk.length
      if (total > maxBytes) {
        throw new ProcessingError(ErrorCode.decompressedTooLarge, `The gzip file inflates to more than ${maxBytes} bytes, the limit (MAX_DECOMPRESSED_BYTES). Upload it uncompressed, or split it.`)
      }
      yield chunk
    }
    await piped
  } catch (err) {
    if (!isZlibError(err)) throw err
    throw new ProcessingError(ErrorCode.corruptGzip, `The gzip data is damaged or cut short after ${total} decompressed bytes (${err.message}). Compress the file again and upload it whole.`)
  } finally {
    inflate.destroy()
  }
}

function isZlibError (err: unknown): err is Error {
  return err instanceof Error && typeof (err as { errno?: unknown }).errno === 'number' && String((err as { code?: unknown }).code).startsWith('Z_')
}

interface Decoder {
  /** The UTF-8 text of the next bytes (a character split across chunks comes out with the chunk that ends it). */
  decode: (bytes: Buffer) => Buffer
  /** Text held back at the end of the file; throws when the file ends inside a character. */
  end: () => Buffer
}

/** UTF-8 passes through, checked chunk by chunk; a character split across two chunks is checked when it ends. */
class Utf8Check implements Decoder {
  #offset = 0
  #carry: Buffer | undefined
  #carryAt = 0
  /** A non-ASCII character (or a BOM) was seen: a byte that is not UTF-8 is then an error, not Windows-1252. */
  #nonAscii: boolean
  /** Bytes of the BOM before the first chunk: offsets in messages count it. */
  readonly #start: number
  readonly #lines: LineCounter | undefined

  constructor (bom: boolean, countLines: boolean) {
    this.#nonAscii = bom
    this.#start = bom ? UTF8_BOM.length : 0
    this.#lines = countLines ? new LineCounter() : undefined
  }

  decode (chunk: Buffer): Buffer {
    const at = this.#offset
    this.#offset += chunk.length
    let from = 0
    if (this.#carry !== undefined) {
      const missing = sequenceLength(this.#carry[0]!) - this.#carry.length
      const next = chunk.subarray(0, missing)
      const joined = Buffer.concat([this.#carry, next])
      if (next.length < missing && next.every(byte => (byte & 0xc0) === 0x80)) {
        this.#carry = joined
        return chunk
      }
      if (!isUtf8(joined)) this.#invalid(this.#carryAt, chunk.subarray(0, 0))
      this.#carry = undefined
      this.#nonAscii = true
      from = missing
    }
    const body = chunk.subarray(from)
    const cut = from + body.length - incompleteTail(body)
    if (!isUtf8(chunk.subarray(from, cut))) {
      const bad = from + validPrefix(chunk.subarray(from, cut))
      this.#invalid(at + bad, chunk.subarray(0, bad))
    }
    if (!this.#nonAscii && !isAscii(chunk.subarray(from, cut))) this.#nonAscii = true
    if (cut < chunk.length) {
      this.#carry = Buffer.from(chunk.subarray(cut))
      this.#carryAt = at + cut
    }
    this.#lines?.add(chunk)
    return chunk
  }

  end (): Buffer {
    if (this.#carry !== undefined) this.#invalid(this.#carryAt, Buffer.alloc(0))
    return Buffer.alloc(0)
  }

  /** At `position` (of the file) a byte is not UTF-8; `before` is the part of the current chunk before it. */
  #invalid (position: number, before: Buffer): never {
    if (!this.#nonAscii && isAscii(before)) throw new Reread(position)
    if (this.#lines === undefined) throw new Reread(undefined)
    this.#lines.add(before)
    const line = this.#lines.line
    const byte = this.#start + position
    throw new ProcessingError(ErrorCode.encodingError, `Line ${line} is not valid UTF-8 (at byte ${byte}), although the lines before it are: the file mixes encodings or is cut short. Re-save it as UTF-8.`, line, byte)
  }
}

/** UTF-16 with a BOM (dropped), through TextDecoder; a byte held back keeps code units whole across chunks. */
class Utf16Decoder implements Decoder {
  readonly #label: Encoding
  readonly #decoder: TextDecoder
  #odd: Buffer | undefined
  readonly #lines: LineCounter | undefined

  constructor (label: 'utf-16le' | 'utf-16be', countLines: boolean) {
    this.#label = label
    this.#decoder = new TextDecoder(label, { fatal: true })
    this.#lines = countLines ? new LineCounter() : undefined
  }

  decode (chunk: Buffer): Buffer {
    let bytes = this.#odd === undefined ? chunk : Buffer.concat([this.#odd, chunk])
    this.#odd = undefined
    if (bytes.length % 2 === 1) {
      this.#odd = Buffer.from(bytes.subarray(bytes.length - 1))
      bytes = bytes.subarray(0, bytes.length - 1)
    }
    let text: Buffer
    try {
      text = Buffer.from(this.#decoder.decode(bytes, { stream: true }))
    } catch {
      this.#invalid(bytes, 'has a broken UTF-16 character (an unpaired surrogate)')
    }
    this.#lines?.add(text)
    return text
  }

  end (): Buffer {
    if (this.#odd !== undefined) this.#invalid(Buffer.alloc(0), 'ends in the middle of a UTF-16 character (the file has an odd number of bytes: it was cut short)')
    try {
      return Buffer.from(this.#decoder.decode())
    } catch {
      this.#invalid(Buffer.alloc(0), 'ends in the middle of a UTF-16 character (it was cut short)')
    }
  }

  /** `bytes` failed to decode: the line is that of the first character that does not decode. */
  #invalid (bytes: Buffer, what: string): never {
    if (this.#lines === undefined) throw new Reread(undefined)
    const lenient = new TextDecoder(this.#label).decode(bytes)
    const bad = lenient.indexOf('\ufffd')
    this.#lines.add(Buffer.from(bad === -1 ? lenient : lenient.slice(0, bad)))
    const line = this.#lines.line
    // The offset in the text decoded to UTF-8, after the BOM (3 bytes in UTF-8).
    const byte = UTF8_BOM.length + this.#lines.bytes
    throw new ProcessingError(ErrorCode.encodingError, `Line ${line} ${what}. Re-save the file as UTF-16 or UTF-8.`, line, byte)
  }
}

/**
 * Windows-1252 through TextDecoder; notes the line of the first byte that is not UTF-8 when it reaches it. Always
 * with `stream: true`: Node 20's one-shot windows-1252 decode mangles 0x80-0x9F (€, ’, –; nodejs/node#60888).
 */
class Windows1252Decoder implements Decoder {
  readonly #decoder = new TextDecoder('windows-1252')
  readonly #lines = new LineCounter()
  readonly #firstNonUtf8: number
  readonly #warnings: Issue[]
  #offset = 0

  constructor (firstNonUtf8: number, warnings: Issue[]) {
    this.#firstNonUtf8 = firstNonUtf8
    this.#warnings = warnings
  }

  decode (chunk: Buffer): Buffer {
    const until = this.#firstNonUtf8 - this.#offset
    if (until >= 0 && until < chunk.length) {
      this.#lines.add(chunk.subarray(0, until))
      const line = this.#lines.line
      // Only ASCII comes before it, so its offset in the object is its offset in the text.
      this.#warnings.push({ code: 'non-utf8', message: `Line ${line} has a byte that is not UTF-8, and no line before it does: the file was read as Windows-1252 (Excel's "CSV" on Windows). If accents look wrong, save it as "CSV UTF-8".`, line, byte: this.#firstNonUtf8 })
    } else if (until >= chunk.length) {
      this.#lines.add(chunk)
    }
    this.#offset += chunk.length
    return Buffer.from(this.#decoder.decode(chunk, { stream: true }))
  }

  end (): Buffer {
    return Buffer.from(this.#decoder.decode())
  }
}

/** Fails on a NUL character: text files have none. */
class NulCheck {
  /** Offset of the next text byte: it starts after the BOM, which offsets count. */
  #offset: number
  /** The raw head of a file read as single bytes, to recognize UTF-16 without a BOM in the message. */
  readonly #rawHead: Buffer | undefined

  constructor (start: number, rawHead: Buffer | undefined) {
    this.#offset = start
    this.#rawHead = rawHead
  }

  check (text: Buffer): void {
    const nul = text.indexOf(0)
    if (nul !== -1) throw nulByte(this.#offset + nul, this.#rawHead)
    this.#offset += text.length
  }
}

function nulByte (offset: number, rawHead: Buffer | undefined): ProcessingError {
  const hint = rawHead !== undefined && looksLikeUtf16(rawHead)
    ? ' It looks like UTF-16 without a byte order mark: save it as UTF-8, or as UTF-16 with a BOM.'
    : ''
  return new ProcessingError(ErrorCode.binaryFile, `The file contains a NUL byte at byte ${offset} of its text: it is binary, not CSV text.${hint}`, undefined, offset)
}

/** ASCII text in UTF-16: every other byte of the first few hundred is NUL, the others are not. */
function looksLikeUtf16 (bytes: Buffer): boolean {
  const nuls = [0, 0]
  const sample = Math.min(bytes.length, 512) & ~1
  for (let i = 0; i < sample; i++) if (bytes[i] === 0) nuls[i % 2]!++
  const [even, odd] = nuls as [number, number]
  return sample >= 8 && Math.min(even, odd) === 0 && Math.max(even, odd) * 4 >= sample / 2
}

/** Counts line breaks (CRLF, LF or CR, as csv-parse does) to name the line a byte is on. */
class LineCounter {
  #breaks = 0
  #afterCr = false
  /** Bytes seen: the offset of the next byte. */
  bytes = 0

  add (bytes: Uint8Array): void {
    this.bytes += bytes.length
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]
      if (byte === 0x0a) {
        if (!this.#afterCr) this.#breaks++
        this.#afterCr = false
      } else {
        this.#afterCr = byte === 0x0d
        if (this.#afterCr) this.#breaks++
      }
    }
  }

  /** The line (1-based) of the next byte. */
  get line (): number {
    return this.#breaks + 1
  }
}

function sequenceLength (lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2
}

/** How many bytes at the end of `bytes` start a multi-byte character that the next chunk completes. */
function incompleteTail (bytes: Uint8Array): number {
  for (let k = 1; k <= 3 && k <= bytes.length; k++) {
    const byte = bytes[bytes.length - k]!
    if ((byte & 0xc0) === 0x80) continue
    return byte >= 0xc0 && sequenceLength(byte) > k ? k : 0
  }
  return 0
}

/** The length of the longest prefix of `bytes` that is valid UTF-8 (binary search: a valid prefix stays valid when cut). */
function validPrefix (bytes: Buffer): number {
  const valid = (length: number) => isUtf8(bytes.subarray(0, length - incompleteTail(bytes.subarray(0, length))))
  let low = 0
  let high = bytes.length
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (valid(middle)) low = middle
    else high = middle - 1
  }
  return low - incompleteTail(bytes.subarray(0, low))
}

async function * buffers (source: ByteSource): AsyncGenerator<Buffer> {
  for await (const input of source) {
    if (input.length > 0) yield Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length)
  }
}

/** Reads chunks until `length` bytes (or the end) and returns them as one buffer. */
async function take (bytes: AsyncIterator<Buffer>, length: number): Promise<{ head: Buffer, complete: boolean }> {
  const parts: Buffer[] = []
  let total = 0
  while (total < length) {
    const next = await bytes.next()
    if (next.done === true) return { head: Buffer.concat(parts, total), complete: true }
    parts.push(next.value)
    total += next.value.length
  }
  return { head: Buffer.concat(parts, total), complete: false }
}

async function * prepend (head: Buffer, bytes: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield head
    for (let next = await bytes.next(); next.done !== true; next = await bytes.next()) yield next.value
  } finally {
    await bytes.return?.()
  }
}

/** Bytes of the byte order mark that starts a text in this encoding, counted as UTF-8 (3) in offsets into the text. */
export function bomBytes (encoding: Encoding): number {
  return encoding === 'utf-8' || encoding === 'windows-1252' ? 0 : UTF8_BOM.length
}

function startsWith (bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)
}
