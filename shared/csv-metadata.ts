// Streams a CSV byte source and returns its metadata, or throws a ProcessingError saying what is wrong.
//
// Both paths read the same text (csv-decode.ts: gunzipped, decoded to UTF-8) in the same dialect (csv-dialect.ts,
// sniffed from its first 64 KiB). The fast path lets CsvScanner count records at memory speed; csv-parse reads
// only the header. When the scanner gives up (a ragged row, an unclosed quote, an oversized record, backslash
// escapes), the file is read again through csv-parse, which names the error and its line. A differential test
// holds the two paths to the same row counts and verdicts.
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parse, CsvError } from 'csv-parse'
import { parse as parseSync } from 'csv-parse/sync'
import { openText, Reread, type ByteSource, type Text } from './csv-decode.ts'
import { DELIMITERS, detectDialect, parseOptions } from './csv-dialect.ts'
import { CsvScanner } from './csv-scan.ts'
import type { Compression, Dialect, Encoding, Issue } from './file-record.ts'
import { ErrorCode, ProcessingError } from './processing-error.ts'
import { DEFAULT_LIMITS, type ExtractLimits } from './limits.ts'

export type { ByteSource } from './csv-decode.ts'
export type Open = () => ByteSource | Promise<ByteSource>

export interface CsvMetadata {
  row_count: number
  column_count: number
  column_names: string[]
  warnings: Issue[]
  encoding: Encoding
  compression: Compression
  dialect: Dialect
}

/**
 * Reads the file once, never holding more than its first 64 KiB, one chunk and the header in memory, and returns
 * the header, the number of data rows (header excluded, blank and comment lines skipped) and any warnings.
 * `open` is called again when the first read cannot give the answer: for csv-parse to name a problem, or to read
 * the file as Windows-1252 when a byte that is not UTF-8 comes after the first 64 KiB.
 */
export async function extractCsvMetadata (open: Open, limits: ExtractLimits = DEFAULT_LIMITS): Promise<CsvMetadata> {
  let windows1252At: number | undefined
  for (;;) {
    try {
      return await scan(await open(), limits, windows1252At) ?? await readFully(open, limits, windows1252At)
    } catch (err) {
      if (!(err instanceof Reread)) throw err
      if (err.windows1252At === undefined) return readFully(open, limits, windows1252At)
      windows1252At = err.windows1252At
    }
  }
}

/** The reference path: csv-parse reads every record. Slower, but it knows the line and nature of each error. */
export async function parseFully (open: Open, limits: ExtractLimits = DEFAULT_LIMITS): Promise<CsvMetadata> {
  return readFully(open, limits, undefined)
}

/** The fast path; undefined when the scanner cannot vouch for the file. */
async function scan (source: ByteSource, limits: ExtractLimits, windows1252At: number | undefined): Promise<CsvMetadata | undefined> {
  const text = await openText(source, { maxDecompressedBytes: limits.maxDecompressedBytes, countLines: false, windows1252At })
  try {
    const { dialect, preambleBytes } = detectDialect(text.head, text.complete)
    if (dialect.escape !== dialect.quote) return undefined
    const scanner = new CsvScanner(limits.maxRecordBytes, dialect)
    scanner.push(text.head.subarray(preambleBytes))
    if (scanner.gaveUp === undefined) {
      for await (const chunk of text.rest) {
        scanner.push(chunk)
        if (scanner.gaveUp !== undefined) break
      }
    }
    scanner.end()
    if (scanner.gaveUp !== undefined) return undefined
    const headerBytes = scanner.headerBytes
    if (headerBytes === undefined) throw noHeader(dialect)
    const headerWarnings: Issue[] = []
    const first = parseHeader(headerBytes, dialect, limits, headerWarnings)
    if (first.length !== scanner.headerFields) return undefined
    const warnings = [...text.warnings, ...headerWarnings, ...blankLines(scanner.blankLines)]
    return metadata(text, dialect, first, scanner.rows + (dialect.header ? 0 : 1), warnings)
  } finally {
    await text.close()
  }
}

/** csv-parse reads the file, read again as Windows-1252 when it turns out not to be UTF-8. */
async function readFully (open: Open, limits: ExtractLimits, windows1252At: number | undefined): Promise<CsvMetadata> {
  for (;;) {
    try {
      return await parseAll(await open(), limits, windows1252At)
    } catch (err) {
      if (!(err instanceof Reread) || err.windows1252At === undefined) throw err
      windows1252At = err.windows1252At
    }
  }
}

async function parseAll (source: ByteSource, limits: ExtractLimits, windows1252At: number | undefined): Promise<CsvMetadata> {
  const text = await openText(source, { maxDecompressedBytes: limits.maxDecompressedBytes, countLines: true, windows1252At })
  const { dialect, preambleBytes } = detectDialect(text.head, text.complete)
  const headerWarnings: Issue[] = []
  let first: string[] | undefined
  let rowCount = 0
  const parser = parse({
    ...parseOptions(dialect, limits.maxRecordBytes),
    on_record: (record: string[], context) => {
      if (first === undefined) {
        first = record
        checkFirstRow(record, context.lines + dialect.preamble_lines, dialect, limits, headerWarnings)
        if (dialect.header) return null
      }
      rowCount++
      return null
    }
  })
  let lastByte: number | undefined
  async function * body () {
    const head = text.head.subarray(preambleBytes)
    if (head.length > 0) yield head
    for await (const chunk of text.rest) {
      lastByte = chunk[chunk.length - 1]
      yield chunk
    }
  }
  try {
    await pipeline(body(), parser, discard())
  } catch (err) {
    throw err instanceof CsvError ? verdictFor(err, first?.length ?? 0, dialect, limits) : err
  } finally {
    await text.close()
  }
  if (first === undefined) throw noHeader(dialect)
  // csv-parse also counts the empty "line" after a final line break.
  lastByte ??= text.head[text.head.length - 1]
  const endsWithLineBreak = lastByte === 0x0a || lastByte === 0x0d
  const warnings = [...text.warnings, ...headerWarnings, ...blankLines(parser.info.empty_lines - (endsWithLineBreak ? 1 : 0))]
  return metadata(text, dialect, first, rowCount, warnings)
}

function metadata (text: Text, dialect: Dialect, first: string[], rowCount: number, warnings: Issue[]): CsvMetadata {
  const columnNames = dialect.header ? first : first.map((_, i) => `column_${i + 1}`)
  return {
    row_count: rowCount,
    column_count: columnNames.length,
    column_names: columnNames,
    warnings,
    encoding: text.encoding,
    compression: text.compression,
    dialect
  }
}

function parseHeader (bytes: Buffer, dialect: Dialect, limits: ExtractLimits, warnings: Issue[]): string[] {
  let header: string[] = []
  parseSync(bytes, {
    ...parseOptions(dialect, limits.maxRecordBytes),
    to: 1,
    on_record: (record: string[], context) => {
      header = record
      checkFirstRow(record, context.lines + dialect.preamble_lines, dialect, limits, warnings)
      return null
    }
  })
  return header
}

function blankLines (count: number): Issue[] {
  return count > 0 ? [{ code: 'blank-row', message: `${count} blank line(s) were skipped; they are not counted as rows.` }] : []
}

function noHeader (dialect: Dialect): ProcessingError {
  const what = dialect.comment === null ? 'only blank lines' : 'only blank and comment lines'
  return new ProcessingError(ErrorCode.blankHeader, `The file has no header line: ${what}. Put the column names on the first line.`, 1 + dialect.preamble_lines)
}

/** Limits and warnings about the first record: the header, or the first data row of a file without one. */
function checkFirstRow (record: string[], line: number, dialect: Dialect, limits: ExtractLimits, warnings: Issue[]): void {
  const what = dialect.header ? 'The header' : 'The first row'
  if (record.length > limits.maxColumns) {
    throw new ProcessingError(ErrorCode.tooManyColumns, `${what} has ${record.length} columns; at most ${limits.maxColumns} are allowed.`, line)
  }
  if (!dialect.header) return
  if (record.every(name => name.trim() === '')) {
    throw new ProcessingError(ErrorCode.blankHeader, 'The header line is blank. Put the column names on the first line.', line)
  }
  const [only] = record
  const other = DELIMITERS.find(d => d !== dialect.delimiter && only?.includes(d))
  if (record.length === 1 && other !== undefined) {
    const name = other === ';' ? 'semicolon' : other === '\t' ? 'tab' : other === '|' ? 'pipe' : 'comma'
    warnings.push({ code: 'possible-delimiter', message: `The header is one column containing a ${name}, but no delimiter splits most lines into the same number of fields, so each line was read as one column.`, line })
  }
  const seen = new Set<string>()
  record.forEach((name, i) => {
    if (name.trim() === '') {
      warnings.push({ code: 'blank-label', message: `Column ${i + 1} has a blank name.`, line })
    } else if (seen.has(name)) {
      warnings.push({ code: 'duplicate-label', message: `Column ${i + 1} repeats the name "${name}".`, line })
    }
    seen.add(name)
  })
}

function verdictFor (err: CsvError, expected: number, dialect: Dialect, limits: ExtractLimits): ProcessingError {
  const context = err as CsvError & { lines?: number, record?: unknown[] }
  const line = context.lines === undefined ? undefined : context.lines + dialect.preamble_lines
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new ProcessingError(ErrorCode.unclosedQuote, `A quoted field is never closed before the end of the file. Close the quote, or write a literal quote as ${dialect.quote}${dialect.quote}.`, line)
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const found = context.record?.length ?? 0
      const code = found > expected ? ErrorCode.extraCell : ErrorCode.missingCell
      const what = dialect.header ? 'the header' : 'the first row'
      return new ProcessingError(code, `Line ${line} has ${found} fields but ${what} has ${expected} (delimiter ${JSON.stringify(dialect.delimiter)}). Every row needs one value per column.`, line)
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
