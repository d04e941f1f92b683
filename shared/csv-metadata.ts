// Streams a CSV byte source and returns its metadata, or throws a ProcessingError saying what is wrong.
//
// Both paths read the same text (csv-decode.ts: gunzipped, decoded to UTF-8) in the same dialect (csv-dialect.ts,
// sniffed from its first 64 KiB). The fast path lets CsvScanner count records at memory speed; csv-parse reads
// only the header. When the scanner gives up (a ragged row, an unclosed quote, an oversized record, backslash
// escapes), the file is read again through csv-parse, which names the error and its line. A row of the wrong width
// does not stop csv-parse: it reads on to the end, counting every such row, and the verdict carries the count per
// code with the first located examples (problems.ts). Both paths profile every column through the same WebAssembly
// profiler (csv-profile.ts): the scanner field by field, csv-parse value by value. Differential tests hold the two
// paths to the same row counts, verdicts and profiles.
import { Writable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Parser, CsvError, type Options } from 'csv-parse'
import { parse as parseSync } from 'csv-parse/sync'
import { bomBytes, openText, Reread, type ByteSource, type Text } from './csv-decode.ts'
import { DELIMITERS, detectDialect, parseOptions } from './csv-dialect.ts'
import { RecordStarts, type RecordStart } from './csv-locate.ts'
import type { FileProfile } from './column-profile.ts'
import { hashingOpen } from './content-hash.ts'
import { fileProfile, ValueProfiler, type ProfileState } from './csv-profile.ts'
import { CsvScanner } from './csv-scan.ts'
import { borrowInstance, returnInstance } from './csv-wasm.ts'
import { StreamScan, ThreadedScan, type StreamJob, type StreamProfiler } from './csv-stream.ts'
import { Pieces, type PieceProfiler } from './csv-pieces.ts'
import type { Compression, Dialect, Encoding, Issue } from './file-record.ts'
import { ErrorCode, ProcessingError } from './processing-error.ts'
import { ProblemTally, type ProblemExample } from './problems.ts'
import { DEFAULT_LIMITS, type ExtractLimits } from './limits.ts'

export type { ByteSource } from './csv-decode.ts'
export type Open = () => ByteSource | Promise<ByteSource>
/** Where the fast path's scanner runs besides this thread (see scan). */
export type Profiler = PieceProfiler | StreamProfiler

export interface CsvMetadata {
  row_count: number
  column_count: number
  column_names: string[]
  warnings: Issue[]
  encoding: Encoding
  compression: Compression
  dialect: Dialect
  /** Every column profiled over the whole file, in the same pass (csv-profile.ts). */
  profile: FileProfile
}

/**
 * Reads the file once, never holding more than its first 64 KiB, one chunk, the header and the columns' profile
 * state in memory, and returns the header, the number of data rows (header excluded, blank and comment lines
 * skipped), any warnings, and the profile of every column with the SHA-256 of the object. `open` is called again when the first read cannot give the answer: for csv-parse to name a problem, or to read
 * the file as Windows-1252 when a byte that is not UTF-8 comes after the first 64 KiB.
 */
export async function extractCsvMetadata (open: Open, limits: ExtractLimits = DEFAULT_LIMITS, profiler?: Profiler): Promise<CsvMetadata> {
  return await hashedRead(open, hashed => extract(hashed, limits, profiler))
}

/** Runs `read` on the object opened through a hash, and gives its profile the SHA-256 of the last read. */
async function hashedRead (open: Open, read: (open: Open) => Promise<CsvMetadata>): Promise<CsvMetadata> {
  const object = hashingOpen(open)
  try {
    const found = await read(object.open)
    found.profile.sha256 = await object.sha256()
    return found
  } finally {
    object.close()
  }
}

async function extract (open: Open, limits: ExtractLimits, profiler: Profiler | undefined): Promise<CsvMetadata> {
  let windows1252At: number | undefined
  for (;;) {
    try {
      return await scan(await open(), limits, windows1252At, profiler) ?? await readFully(open, limits, windows1252At)
    } catch (err) {
      if (!(err instanceof Reread)) throw err
      if (err.windows1252At === undefined) return readFully(open, limits, windows1252At)
      windows1252At = err.windows1252At
    }
  }
}

/** The reference path: csv-parse reads every record. Slower, but it knows the line and nature of each error. */
export async function parseFully (open: Open, limits: ExtractLimits = DEFAULT_LIMITS): Promise<CsvMetadata> {
  return await hashedRead(open, hashed => readFully(hashed, limits, undefined))
}

/** What the fast path found in the text: data rows (the first record counted when it is data), the header, the profile. */
interface Scanned {
  rows: number
  blankLines: number
  headerBytes: Uint8Array | undefined
  headerFields: number
  state: ProfileState
  bytes: number
}

/**
 * The fast path; undefined when the scanner cannot vouch for the file. Where the scanner runs depends on `profiler`:
 * none, on this thread; a StreamProfiler, on its thread while this one reads (csv-stream.ts); a PieceProfiler with
 * workers, on several threads, piece by piece (csv-pieces.ts).
 */
async function scan (source: ByteSource, limits: ExtractLimits, windows1252At: number | undefined, profiler: Profiler | undefined): Promise<CsvMetadata | undefined> {
  const text = await openText(source, { maxDecompressedBytes: limits.maxDecompressedBytes, countLines: false, windows1252At })
  try {
    const { dialect, preambleBytes } = detectDialect(text.head, text.complete)
    if (dialect.escape !== dialect.quote) return undefined
    const job = { dialect, maxColumns: limits.maxColumns, maxRecordBytes: limits.maxRecordBytes, firstIsData: !dialect.header }
    const body = text.head.subarray(preambleBytes)
    const found = profiler !== undefined && 'workers' in profiler && profiler.workers > 0
      ? await scanPieces(body, text.rest, job, profiler)
      : await scanWhole(body, text.rest, job, profiler !== undefined && 'open' in profiler ? profiler : undefined)
    if (found === undefined) return undefined
    const { headerBytes } = found
    if (headerBytes === undefined) throw noHeader(dialect)
    const headerWarnings: Issue[] = []
    const first = parseHeader(Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.length), bomBytes(text.encoding) + preambleBytes, dialect, limits, headerWarnings)
    if (first.length !== found.headerFields) return undefined
    const warnings = [...text.warnings, ...headerWarnings, ...blankLines(found.blankLines)]
    return metadata(text, dialect, first, found.rows, warnings, { state: found.state, bytes: preambleBytes + found.bytes })
  } finally {
    await text.close()
  }
}

/** One scanner reads the whole text: here, or on the profiler's thread while this one reads. */
async function scanWhole (head: Uint8Array, rest: AsyncIterable<Uint8Array>, job: StreamJob, profiler: StreamProfiler | undefined): Promise<Scanned | undefined> {
  const scanner = profiler === undefined ? new StreamScan(job) : new ThreadedScan(profiler, job)
  try {
    const bytes = await feed(head, rest, async chunk => await scanner.push(chunk), () => scanner.gaveUp !== undefined)
    if (scanner.gaveUp !== undefined) return undefined
    const found = await scanner.finish()
    if (found.gaveUp !== undefined) return undefined
    return { ...found, rows: found.rows + (job.firstIsData ? 1 : 0), bytes }
  } finally {
    scanner.close()
  }
}

/**
 * Pieces of the text go to the profiler's threads: this thread reads the header (the scanner's counting-only mode),
 * then cuts the text at record boundaries.
 */
async function scanPieces (head: Uint8Array, rest: AsyncIterable<Uint8Array>, job: StreamJob, profiler: PieceProfiler): Promise<Scanned | undefined> {
  const pieces = new Pieces(profiler, { dialect: job.dialect, maxColumns: job.maxColumns, maxRecordBytes: job.maxRecordBytes }, job.firstIsData)
  const wasm = borrowInstance()
  try {
    const scanner = new CsvScanner(job.maxRecordBytes, job.dialect, { maxColumns: job.maxColumns, firstIsData: job.firstIsData, countOnly: true }, wasm)
    const stopped = () => scanner.gaveUp !== undefined || pieces.gaveUp
    const bytes = await feed(head, rest, async chunk => await pieces.push(chunk, scanner), stopped)
    if (pieces.scanning) scanner.end()
    if (stopped()) return undefined
    const found = await pieces.finish(scanner)
    if (found === undefined) return undefined
    return { ...found, headerBytes: scanner.headerBytes, headerFields: scanner.headerFields, bytes }
  } finally {
    pieces.abandon()
    returnInstance(wasm)
  }
}

/** Pushes the head, then the rest of the text, until `stopped`; resolves to the bytes pushed. */
async function feed (head: Uint8Array, rest: AsyncIterable<Uint8Array>, push: (chunk: Uint8Array) => Promise<void>, stopped: () => boolean): Promise<number> {
  let bytes = head.length
  await push(head)
  if (stopped()) return bytes
  for await (const chunk of rest) {
    bytes += chunk.length
    await push(chunk)
    if (stopped()) break
  }
  return bytes
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
  // csv-parse's offsets start after the preamble; problems are located in the whole text, a BOM counted.
  const base = bomBytes(text.encoding) + preambleBytes
  const starts = new RecordStarts(dialect.comment)
  const problems = new ProblemTally<ErrorCode>()
  const headerWarnings: Issue[] = []
  let first: string[] | undefined
  let rowCount = 0
  const profiler = new ValueProfiler(limits.maxColumns, dialect.delimiter)
  const parser = new LocatingParser(starts, {
    ...parseOptions(dialect, limits.maxRecordBytes),
    // A row of the wrong width is counted below, not thrown, so reading goes on and counts them all.
    relax_column_count: true,
    on_record: (record: string[], context) => {
      const start = starts.next(context.bytes)
      if (first === undefined) {
        first = record
        checkFirstRow(record, located(start, base, dialect), dialect, limits, headerWarnings)
        profiler.columns(record.length)
        if (dialect.header) return null
      } else if (record.length !== first.length) {
        const expected = first.length
        problems.add(record.length > expected ? ErrorCode.extraCell : ErrorCode.missingCell, () => {
          const at = located(start, base, dialect)
          return { ...at, message: wrongWidth(at.line, record.length, expected, dialect) }
        })
        // The file fails: this row is counted as a problem, not as data.
        return null
      }
      // Once the file is sure to fail, rows are only checked for width: no count or profile will be reported.
      if (problems.size > 0) return null
      rowCount++
      record.forEach((value, column) => profiler.add(column, value))
      return null
    }
  })
  let lastByte: number | undefined
  let bytes = text.head.length
  async function * body () {
    const head = text.head.subarray(preambleBytes)
    if (head.length > 0) yield head
    for await (const chunk of text.rest) {
      lastByte = chunk[chunk.length - 1]
      bytes += chunk.length
      yield chunk
    }
  }
  let state: ProfileState | undefined
  try {
    await pipeline(body(), parser, discard())
    if (problems.size === 0) state = profiler.state()
  } catch (err) {
    const stop = err instanceof CsvError ? verdictFor(err, located(starts.pending(), base, dialect), dialect, limits) : err
    if (!(stop instanceof ProcessingError)) throw stop
    problems.add(stop.code, () => example(stop))
    throw verdict(problems)
  } finally {
    profiler.close()
    await text.close()
  }
  if (state === undefined) throw verdict(problems)
  if (first === undefined) throw noHeader(dialect)
  // csv-parse also counts the empty "line" after a final line break.
  lastByte ??= text.head[text.head.length - 1]
  const endsWithLineBreak = lastByte === 0x0a || lastByte === 0x0d
  const warnings = [...text.warnings, ...headerWarnings, ...blankLines(parser.info.empty_lines - (endsWithLineBreak ? 1 : 0))]
  return metadata(text, dialect, first, rowCount, warnings, { state, bytes })
}

function metadata (text: Text, dialect: Dialect, first: string[], rowCount: number, warnings: Issue[], profiled: { state: ProfileState, bytes: number }): CsvMetadata {
  const columnNames = dialect.header ? first : first.map((_, i) => `column_${i + 1}`)
  return {
    row_count: rowCount,
    column_count: columnNames.length,
    column_names: columnNames,
    warnings,
    encoding: text.encoding,
    compression: text.compression,
    dialect,
    // The digest is the caller's, who opened the object (extractCsvMetadata).
    profile: fileProfile(profiled.state, columnNames, { sha256: '', bytes: profiled.bytes, rows: rowCount })
  }
}

/** The header's fields, from `bytes` (the text from `base` to the header's end), with its warnings. */
function parseHeader (bytes: Buffer, base: number, dialect: Dialect, limits: ExtractLimits, warnings: Issue[]): string[] {
  let header: string[] = []
  const starts = new RecordStarts(dialect.comment)
  starts.add(bytes)
  parseSync(bytes, {
    ...parseOptions(dialect, limits.maxRecordBytes),
    to: 1,
    on_record: (record: string[], context) => {
      header = record
      checkFirstRow(record, located(starts.next(context.bytes), base, dialect), dialect, limits, warnings)
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

/** Limits and warnings about the first record (the header, or the first data row of a file without one), located `at`. */
function checkFirstRow (record: string[], at: Located, dialect: Dialect, limits: ExtractLimits, warnings: Issue[]): void {
  const { line, byte } = at
  const what = dialect.header ? 'The header' : 'The first row'
  if (record.length > limits.maxColumns) {
    throw new ProcessingError(ErrorCode.tooManyColumns, `${what} has ${record.length} columns; at most ${limits.maxColumns} are allowed.`, line, byte)
  }
  if (!dialect.header) return
  if (record.every(name => name.trim() === '')) {
    throw new ProcessingError(ErrorCode.blankHeader, 'The header line is blank. Put the column names on the first line.', line, byte)
  }
  const [only] = record
  const other = DELIMITERS.find(d => d !== dialect.delimiter && only?.includes(d))
  if (record.length === 1 && other !== undefined) {
    const name = other === ';' ? 'semicolon' : other === '\t' ? 'tab' : other === '|' ? 'pipe' : 'comma'
    warnings.push({ code: 'possible-delimiter', message: `The header is one column containing a ${name}, but no delimiter splits most lines into the same number of fields, so each line was read as one column.`, line, byte })
  }
  const seen = new Set<string>()
  record.forEach((name, i) => {
    if (name.trim() === '') {
      warnings.push({ code: 'blank-label', message: `Column ${i + 1} has a blank name.`, line, byte })
    } else if (seen.has(name)) {
      warnings.push({ code: 'duplicate-label', message: `Column ${i + 1} repeats the name "${name}".`, line, byte })
    }
    seen.add(name)
  })
}

/** What stopped csv-parse, located `at` the start of the record it was reading. */
function verdictFor (err: CsvError, at: Located, dialect: Dialect, limits: ExtractLimits): ProcessingError {
  const { line, byte } = at
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new ProcessingError(ErrorCode.unclosedQuote, `A quoted field in the row starting on line ${line} is never closed before the end of the file. Close the quote, or write a literal quote as ${dialect.quote}${dialect.quote}.`, line, byte)
    case 'CSV_MAX_RECORD_SIZE':
      return new ProcessingError(ErrorCode.recordTooLarge, `The row starting on line ${line} is larger than the limit of ${limits.maxRecordBytes} characters. Split the field or raise MAX_RECORD_BYTES.`, line, byte)
    /* c8 ignore next 2 -- every parse error the options above allow is mapped; this keeps a new csv-parse honest */
    default:
      return new ProcessingError(ErrorCode.malformedCsv, `Line ${line}: ${err.message}`, line, byte)
  }
}

interface Located {
  line: number
  byte: number
}

/** A record's start in the whole text: after the preamble (its lines and bytes) and the BOM (`base` counts both). */
function located (start: RecordStart, base: number, dialect: Dialect): Located {
  return { line: start.line + dialect.preamble_lines, byte: base + start.byte }
}

function wrongWidth (line: number, found: number, expected: number, dialect: Dialect): string {
  const what = dialect.header ? 'the header' : 'the first row'
  return `Line ${line} has ${found} fields but ${what} has ${expected} (delimiter ${JSON.stringify(dialect.delimiter)}). Every row needs one value per column.`
}

function example (err: ProcessingError): ProblemExample {
  return { ...(err.line === undefined ? {} : { line: err.line }), ...(err.byte === undefined ? {} : { byte: err.byte }), message: err.message }
}

/** The verdict on a file with these problems: the first one found, carrying them all. */
function verdict (problems: ProblemTally<ErrorCode>): ProcessingError {
  const first = problems.first()!
  const more = problems.total - 1
  const message = more === 0 ? first.message : `${first.message} And ${more} more problem(s): \`errors\` counts them by code, with where the first ones are.`
  return new ProcessingError(first.code, message, first.line, first.byte, problems.summary())
}

/** csv-parse's stream parser, showing RecordStarts each chunk just before it parses it. */
class LocatingParser extends Parser {
  readonly #starts: RecordStarts

  constructor (starts: RecordStarts, options: Options) {
    super(options)
    this.#starts = starts
  }

  override _transform (chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    this.#starts.add(chunk)
    super._transform(chunk, encoding, callback)
  }
}

function discard (): Writable {
  return new Writable({ objectMode: true, write: (_record, _encoding, done) => done() })
}
