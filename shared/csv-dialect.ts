// Detects how a CSV file is written from the text of its first 64 KiB: delimiter, quote, escape, comment lines, an
// Excel `sep=` line, and whether the first row is a header; and the csv-parse options that read that dialect.
//
// The rule, after DuckDB's sniffer: parse the first 100 records under each candidate dialect and keep the one under
// which the largest share of records have the same number of fields, more than one; then more such records, then
// more fields, then the order of preference (`,` `;` tab `|`; `"` before `'`; a doubled quote before a
// backslash; no comments before `#`). A candidate must split at least half of the records that way, or the file
// is read with the default (comma) dialect: a one-column file stays one column, and a comma file with a ragged
// row still fails on that row. Like DuckDB, the first row is data rather than a header only when every value in
// it is a number or a date, as every value below it is.
import type { Options } from 'csv-parse'
import { parse } from 'csv-parse/sync'
import type { Dialect } from './file-record.ts'

export const DELIMITERS = [',', ';', '\t', '|']
const SAMPLE_RECORDS = 100
const SEP_LINE = /^sep=([^\r\n"'])(\r\n|\n|\r|$)/i
const NUMBER = /^[-+]?(\d+([.,]\d+)*|[.,]\d+)([eE][-+]?\d+)?%?$/
const DATE = /^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[-+]\d{2}:?\d{2})?)?|\d{1,2}[./]\d{1,2}[./]\d{2,4})$/

export interface SniffedDialect {
  dialect: Dialect
  /** Bytes of the preamble (the `sep=` line) at the start of the text, which neither parser reads. */
  preambleBytes: number
}

type Candidate = Pick<Dialect, 'delimiter' | 'quote' | 'escape' | 'comment'>

interface Score {
  candidate: Candidate
  /** Records in the sample. */
  records: number
  /** The most common field count above one (the larger on a tie), and how many records have it. */
  fields: number
  agreeing: number
}

/**
 * The dialect of the text whose start is `head` (UTF-8, no BOM); `complete` when `head` is all of it, so its last
 * line is whole.
 */
export function detectDialect (head: Buffer, complete: boolean): SniffedDialect {
  const sep = SEP_LINE.exec(head.subarray(0, 8).toString('latin1'))
  const preambleBytes = sep === null ? 0 : sep[0].length
  const bytes = sampleBytes(head.subarray(preambleBytes), complete)
  const sample = bytes.toString('utf8')
  const scores = candidates(sample, sep?.[1]).map(candidate => score(bytes, candidate))
  const best = scores.reduce((a, b) => better(b, a) ? b : a)
  const sniffed = best.agreeing > 0 && best.agreeing * 2 >= best.records
  const chosen = sniffed || sep !== null ? best.candidate : { delimiter: ',', quote: '"', escape: '"', comment: null }
  const decidedBy = sep !== null
    ? 'sep= line'
    : sniffed ? `sniffed: ${best.agreeing} of ${best.records} rows have ${best.fields} fields` : 'default'
  const { delimiter, quote, escape, comment } = chosen
  const header = hasHeader(records(bytes, chosen))
  return { dialect: { delimiter, quote, escape, header, comment, preamble_lines: sep === null ? 0 : 1, decided_by: decidedBy }, preambleBytes }
}

/** The options under which csv-parse reads a file of this dialect (the rules CsvScanner follows). */
export function parseOptions (dialect: Candidate, maxRecordBytes: number): Options {
  return {
    delimiter: dialect.delimiter,
    quote: dialect.quote,
    escape: dialect.escape,
    ...(dialect.comment === null ? {} : { comment: dialect.comment, comment_no_infix: true }),
    skip_empty_lines: true,
    // Like pandas, a quote that does not open a field is text (6'2", "x"y), not an error.
    relax_quotes: true,
    // Any line ending ends a record, so files with mixed endings read as they look.
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: maxRecordBytes
  }
}

/** The head, cut after its last line break unless it is the whole file (a cut record would mislead). */
function sampleBytes (text: Buffer, complete: boolean): Buffer {
  const end = complete ? text.length : Math.max(text.lastIndexOf(0x0a), text.lastIndexOf(0x0d)) + 1
  return text.subarray(0, end > 0 ? end : text.length)
}

/** Every dialect worth trying on `sample`, in the order of preference. */
function candidates (sample: string, declared: string | undefined): Candidate[] {
  const delimiters = declared !== undefined ? [declared] : DELIMITERS.filter(d => d === ',' || sample.includes(d))
  // A quote opens a field only as its first character: apostrophes inside words (O'Brien) do not make `'` a candidate.
  const quotes = /(^|[,;\t|\r\n])'/.test(sample) ? ['"', "'"] : ['"']
  const commentLines = /^[\r\n]*#/.test(sample)
  return delimiters.flatMap(delimiter => quotes.flatMap(quote => {
    const escapes = sample.includes('\\' + quote) ? [quote, '\\'] : [quote]
    const comments = commentLines && delimiter !== '#' ? [null, '#'] : [null]
    return escapes.flatMap(escape => comments.map(comment => ({ delimiter, quote, escape, comment })))
  }))
}

function score (sample: Buffer, candidate: Candidate): Score {
  const counts = records(sample, candidate).map(record => record.length)
  const tally = new Map<number, number>()
  for (const count of counts) if (count > 1) tally.set(count, (tally.get(count) ?? 0) + 1)
  let fields = 1
  let agreeing = 0
  for (const [count, times] of tally) {
    if (times > agreeing || (times === agreeing && count > fields)) {
      fields = count
      agreeing = times
    }
  }
  return { candidate, records: counts.length, fields, agreeing }
}

/**
 * Whether `a` is a better explanation of the sample than `b`, which comes first in the order of preference: the
 * larger share of records that agree (a delimiter that also appears inside quoted, multi-line values can cut the
 * sample into more records, so a count alone would favour it), then more agreeing records, then more fields.
 */
function better (a: Score, b: Score): boolean {
  const share = a.agreeing * b.records - b.agreeing * a.records
  if (share !== 0) return share > 0
  if (a.agreeing !== b.agreeing) return a.agreeing > b.agreeing
  return a.fields > b.fields
}

/**
 * The first records of `sample` under `candidate`, however many fields each has; a parse error ends them. The
 * bytes, not their text: csv-parse would turn a string back into bytes for every candidate.
 */
function records (sample: Buffer, candidate: Candidate): string[][] {
  const found: string[][] = []
  // csv-parse builds an error for each record of another width even when told to accept it, and a wrong
  // candidate makes many: without their stack traces, which nothing reads, they cost a fraction. (The parse is
  // synchronous, so no other code runs under the lowered limit.)
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    parse(sample, {
      ...parseOptions(candidate, 0),
      relax_column_count: true,
      to: SAMPLE_RECORDS,
      on_record: (record: string[]) => {
        found.push(record)
        return null
      }
    })
  } catch {
    // An unclosed quote at the end of the sample: the records before it are the evidence.
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
  return found
}

/** False only when the first row looks like data: every value a number or a date, as are the values below it. */
function hasHeader (sampled: string[][]): boolean {
  const [first, ...rest] = sampled
  if (first === undefined || rest.length === 0) return true
  return !first.every((value, column) => {
    const below = rest.map(record => record[column]?.trim() ?? '').filter(v => v !== '')
    return typed(value) && below.length > 0 && below.every(typed)
  })
}

function typed (value: string): boolean {
  const trimmed = value.trim()
  return NUMBER.test(trimmed) || DATE.test(trimmed)
}
