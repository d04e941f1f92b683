// Streams a CSV byte source and returns its metadata, or throws a ProcessingError saying what is wrong.
//
// Two paths, one answer. The fast path checks the bytes (UTF-8, no NUL) and lets CsvScanner count records at
// memory speed; csv-parse reads only the header. When the scanner gives up (a ragged row, an unclosed quote, an
// oversized record), the file is read again through csv-parse, which names the error and its line. A
// differential test holds the two paths to the same row counts and verdicts.
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { isUtf8 } from 'node:buffer'
import { parse, CsvError, type Options } from 'csv-parse'
import { parse as parseSync } from 'csv-parse/sync'
import { CsvScanner } from './csv-scan.ts'
import { ErrorCode, ProcessingError } from './processing-error.ts'
import type { Issue } from './file-record.ts'
import { DEFAULT_LIMITS, type ExtractLimits } from './limits.ts'

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>

export interface CsvMetadata {
  row_count: number
  column_count: number
  column_names: string[]
  warnings: Issue[]
}

const UTF8_BOM = [0xef, 0xbb, 0xbf]
const BINARY_SIGNATURES: Array<{ name: string, bytes: number[] }> = [
  { name: 'PNG image', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { name: 'gzip archive', bytes: [0x1f, 0x8b] },
  { name: 'zip archive (or .xlsx workbook)', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'PDF document', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }
]
const UTF16_BOMS = [[0xff, 0xfe], [0xfe, 0xff]]
/** Bytes gathered before the first chunk is looked at, enough for every signature above. */
const SNIFF_BYTES = 8

/**
 * Reads the file once (twice when it is broken: `open` is called again for csv-parse to name the problem),
 * never holding more than one chunk and the header in memory, and returns the header, the number of data rows
 * (header excluded, blank lines skipped) and any warnings.
 */
export async function extractCsvMetadata (
  open: () => ByteSource | Promise<ByteSource>,
  limits: ExtractLimits = DEFAULT_LIMITS
): Promise<CsvMetadata> {
  const warnings: Issue[] = []
  const scanner = new CsvScanner(limits.maxRecordBytes)
  for await (const chunk of checkedBytes(await open(), warnings)) {
    scanner.push(chunk)
    if (scanner.gaveUp !== undefined) break
  }
  scanner.end()
  if (scanner.gaveUp === undefined) {
    const headerBytes = scanner.headerBytes
    if (headerBytes === undefined) throw noHeader()
    const header = parseHeader(headerBytes, limits, warnings)
    if (header.length === scanner.headerFields) {
      warnAboutBlankLines(scanner.blankLines, warnings)
      return { row_count: scanner.rows, column_count: header.length, column_names: header, warnings }
    }
  }
  return parseFully(await open(), limits)
}

/** The reference path: csv-parse reads every record. Slower, but it knows the line and nature of each error. */
export async function parseFully (source: ByteSource, limits: ExtractLimits = DEFAULT_LIMITS): Promise<CsvMetadata> {
  const warnings: Issue[] = []
  let header: string[] | undefined
  let rowCount = 0
  const parser = parse(parseOptions(limits, (record, line) => {
    if (header === undefined) {
      header = record
      checkHeader(record, line, limits, warnings)
    } else {
      rowCount++
    }
  }))
  let lastByte: number | undefined
  async function * remembered (bytes: AsyncIterable<Buffer>) {
    for await (const chunk of bytes) {
      lastByte = chunk[chunk.length - 1]
      yield chunk
    }
  }
  try {
    await pipeline(remembered(checkedBytes(source, warnings)), parser, discard())
  } catch (err) {
    throw err instanceof CsvError ? verdictFor(err, header?.length ?? 0, limits) : err
  }
  if (header === undefined) throw noHeader()
  // csv-parse also counts the empty "line" after a final line break.
  const endsWithLineBreak = lastByte === 0x0a || lastByte === 0x0d
  warnAboutBlankLines(parser.info.empty_lines - (endsWithLineBreak ? 1 : 0), warnings)
  return { row_count: rowCount, column_count: header.length, column_names: header, warnings }
}

/** The csv-parse settings both paths share; CsvScanner implements the same rules. */
function parseOptions (limits: ExtractLimits, onRecord: (record: string[], line: number) => void): Options {
  return {
    bom: true,
    skip_empty_lines: true,
    // Like pandas, a quote that does not open a field is text (6'2", "x"y), not an error.
    relax_quotes: true,
    // Any line ending ends a record, so files with mixed endings read as they look.
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: limits.maxRecordBytes,
    on_record: (record: string[], context) => {
      onRecord(record, context.lines)
      return null
    }
  }
}

function parseHeader (bytes: Buffer, limits: ExtractLimits, warnings: Issue[]): string[] {
  let header: string[] = []
  parseSync(bytes, parseOptions(limits, (record, line) => {
    header = record
    checkHeader(record, line, limits, warnings)
  }))
  return header
}

function warnAboutBlankLines (count: number, warnings: Issue[]): void {
  if (count > 0) warnings.push({ code: 'blank-row', message: `${count} blank line(s) were skipped; they are not counted as rows.` })
}

function noHeader (): ProcessingError {
  return new ProcessingError(ErrorCode.blankHeader, 'The file has no header line: only blank lines. Put the column names on the first line.', 1)
}

/** Passes the bytes through, failing on content that is not UTF-8 text. */
async function * checkedBytes (source: ByteSource, warnings: Issue[]): AsyncGenerator<Buffer> {
  const utf8 = new Utf8Validator()
  let offset = 0
  let head: Buffer | undefined = Buffer.alloc(0)
  for await (const input of source) {
    let chunk = asBuffer(input)
    if (head !== undefined) {
      head = Buffer.concat([head, chunk])
      if (head.length < SNIFF_BYTES) continue
      chunk = head
      head = undefined
      sniff(chunk, warnings)
    }
    yield check(chunk)
  }
  if (head !== undefined && head.length > 0) {
    sniff(head, warnings)
    yield check(head)
  }
  if (offset === 0) throw new ProcessingError(ErrorCode.emptyFile, 'The file is empty (0 bytes). Upload a CSV with a header line.')
  if (!utf8.end()) throw new ProcessingError(ErrorCode.encodingError, 'The file ends in the middle of a UTF-8 character. Re-save it as UTF-8.')

  function check (chunk: Buffer): Buffer {
    const nul = chunk.indexOf(0)
    if (nul !== -1) {
      throw new ProcessingError(ErrorCode.binaryFile, `The file contains a NUL byte at byte ${offset + nul}: it is binary, not CSV text.`)
    }
    if (!utf8.check(chunk)) {
      throw new ProcessingError(ErrorCode.encodingError, `The file is not valid UTF-8 (in bytes ${offset}-${offset + chunk.length - 1}). Re-save it as UTF-8.`)
    }
    offset += chunk.length
    return chunk
  }
}

/** Validates UTF-8 chunk by chunk, carrying a character split across two chunks. */
class Utf8Validator {
  #carry: Buffer | undefined

  check (chunk: Buffer): boolean {
    let bytes = chunk
    if (this.#carry !== undefined) {
      const missing = sequenceLength(this.#carry[0]!) - this.#carry.length
      const joined = Buffer.concat([this.#carry, bytes.subarray(0, missing)])
      if (bytes.length < missing) {
        this.#carry = joined
        return true
      }
      this.#carry = undefined
      if (!isUtf8(joined)) return false
      bytes = bytes.subarray(missing)
    }
    const cut = bytes.length - incompleteTail(bytes)
    if (!isUtf8(bytes.subarray(0, cut))) return false
    if (cut < bytes.length) this.#carry = Buffer.from(bytes.subarray(cut))
    return true
  }

  /** True when no character was left unfinished. */
  end (): boolean {
    return this.#carry === undefined
  }
}

function sequenceLength (lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2
}

/** How many bytes at the end of `bytes` start a multi-byte character that the next chunk completes. */
function incompleteTail (bytes: Buffer): number {
  for (let k = 1; k <= 3 && k <= bytes.length; k++) {
    const byte = bytes[bytes.length - k]!
    if ((byte & 0xc0) === 0x80) continue
    return byte >= 0xc0 && sequenceLength(byte) > k ? k : 0
  }
  return 0
}

function asBuffer (input: Uint8Array): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length)
}

/** Recognizes the formats people most often upload by mistake, from the first bytes. */
function sniff (first: Uint8Array, warnings: Issue[]): void {
  const startsWith = (bytes: number[]) => bytes.every((b, i) => first[i] === b)
  const binary = BINARY_SIGNATURES.find(s => startsWith(s.bytes))
  if (binary) {
    throw new ProcessingError(ErrorCode.binaryFile, `The file is a ${binary.name}, not CSV text. Export it as CSV and upload that.`)
  }
  if (UTF16_BOMS.some(startsWith)) {
    throw new ProcessingError(ErrorCode.encodingError, 'The file is UTF-16 encoded. Re-save it as UTF-8.')
  }
  if (startsWith(UTF8_BOM)) {
    warnings.push({ code: 'bom', message: 'The file starts with a UTF-8 byte order mark; it was ignored.' })
  }
}

function checkHeader (header: string[], line: number, limits: ExtractLimits, warnings: Issue[]): void {
  if (header.length > limits.maxColumns) {
    throw new ProcessingError(ErrorCode.tooManyColumns, `The header has ${header.length} columns; at most ${limits.maxColumns} are allowed.`, line)
  }
  if (header.every(name => name.trim() === '')) {
    throw new ProcessingError(ErrorCode.blankHeader, 'The header line is blank. Put the column names on the first line.', line)
  }
  const [only] = header
  if (header.length === 1 && only !== undefined && /[;\t|]/.test(only)) {
    const separator = only.includes(';') ? 'semicolon' : only.includes('\t') ? 'tab' : 'pipe'
    warnings.push({ code: 'possible-delimiter', message: `The header is one column containing a ${separator}: only commas separate columns, so each line was read as one column.`, line })
  }
  const seen = new Set<string>()
  header.forEach((name, i) => {
    if (name.trim() === '') {
      warnings.push({ code: 'blank-label', message: `Column ${i + 1} has a blank name.`, line })
    } else if (seen.has(name)) {
      warnings.push({ code: 'duplicate-label', message: `Column ${i + 1} repeats the name "${name}".`, line })
    }
    seen.add(name)
  })
}

function verdictFor (err: CsvError, expected: number, limits: ExtractLimits): ProcessingError {
  const context = err as CsvError & { lines?: number, record?: unknown[] }
  const line = context.lines
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new ProcessingError(ErrorCode.unclosedQuote, 'A quoted field is never closed before the end of the file. Close the quote, or write a literal quote as "".', line)
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const found = context.record?.length ?? 0
      const code = found > expected ? ErrorCode.extraCell : ErrorCode.missingCell
      return new ProcessingError(code, `Line ${line} has ${found} fields but the header has ${expected}. Every row needs one value per column.`, line)
    }
    case 'CSV_MAX_RECORD_SIZE':
      return new ProcessingError(ErrorCode.recordTooLarge, `The row ending near line ${line} is larger than the limit of ${limits.maxRecordBytes} characters. Split the field or raise MAX_RECORD_BYTES.`, line)
    /* c8 ignore next 2 -- every parse error the options above allow is mapped; this keeps a new csv-parse honest */
    default:
      return new ProcessingError(ErrorCode.malformedCsv, `Line ${line}: ${err.message}`, line)
  }
}

function discard (): Writable {
  return new Writable({ objectMode: true, write: (_record, _encoding, done) => done() })
}
