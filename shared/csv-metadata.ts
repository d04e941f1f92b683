// Streams a CSV byte source once and returns its metadata, or throws a ProcessingError saying what is wrong.
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parse, CsvError } from 'csv-parse'
import { ErrorCode, ProcessingError } from './processing-error.ts'
import type { Issue } from './file-record.ts'

export interface CsvMetadata {
  row_count: number
  column_count: number
  column_names: string[]
  warnings: Issue[]
}

export interface ExtractLimits {
  /** Largest record (all fields of one row) in characters; protects memory from a runaway field. */
  maxRecordBytes: number
  /** Most columns a header may have. */
  maxColumns: number
}

export const DEFAULT_LIMITS: ExtractLimits = {
  maxRecordBytes: 64 * 1024 * 1024,
  maxColumns: 10_000
}

const UTF8_BOM = [0xef, 0xbb, 0xbf]
const BINARY_SIGNATURES: Array<{ name: string, bytes: number[] }> = [
  { name: 'PNG image', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { name: 'gzip archive', bytes: [0x1f, 0x8b] },
  { name: 'zip archive (or .xlsx workbook)', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'PDF document', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] }
]
const UTF16_BOMS = [[0xff, 0xfe], [0xfe, 0xff]]

/**
 * Reads `source` to the end, never holding more than one record in memory, and returns the header,
 * the number of data rows (header excluded, blank lines skipped) and any warnings.
 */
export async function extractCsvMetadata (
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limits: ExtractLimits = DEFAULT_LIMITS
): Promise<CsvMetadata> {
  const warnings: Issue[] = []
  let header: string[] | undefined
  let rowCount = 0

  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    // Like pandas, a quote that does not open a field is text (6'2", "x"y), not an error.
    relax_quotes: true,
    max_record_size: limits.maxRecordBytes,
    on_record: (record: string[], context) => {
      if (header === undefined) {
        header = record
        checkHeader(record, context.lines, limits, warnings)
      } else {
        rowCount++
      }
      return null
    }
  })

  try {
    await pipeline(checkedBytes(source, warnings), parser, discard())
  } catch (err) {
    throw err instanceof CsvError ? verdictFor(err, header?.length ?? 0, limits) : err
  }

  if (header === undefined) {
    throw new ProcessingError(ErrorCode.blankHeader, 'The file has no header line: only blank lines. Put the column names on the first line.', 1)
  }
  return { row_count: rowCount, column_count: header.length, column_names: header, warnings }
}

/** Passes the bytes through, failing on content that is not UTF-8 text. */
async function * checkedBytes (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, warnings: Issue[]): AsyncGenerator<Uint8Array> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let offset = 0
  for await (const chunk of source) {
    if (chunk.length === 0) continue
    if (offset === 0) sniff(chunk, warnings)
    const nul = chunk.indexOf(0)
    if (nul !== -1) {
      throw new ProcessingError(ErrorCode.binaryFile, `The file contains a NUL byte at byte ${offset + nul}: it is binary, not CSV text.`)
    }
    try {
      decoder.decode(chunk, { stream: true })
    } catch {
      throw new ProcessingError(ErrorCode.encodingError, `The file is not valid UTF-8 (in bytes ${offset}-${offset + chunk.length - 1}). Re-save it as UTF-8.`)
    }
    offset += chunk.length
    yield chunk
  }
  if (offset === 0) throw new ProcessingError(ErrorCode.emptyFile, 'The file is empty (0 bytes). Upload a CSV with a header line.')
  try {
    decoder.decode()
  } catch {
    throw new ProcessingError(ErrorCode.encodingError, 'The file ends in the middle of a UTF-8 character. Re-save it as UTF-8.')
  }
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
