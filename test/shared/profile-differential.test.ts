// Differential test of the column profile: on generated files in every dialect, encoding and chunking, with values of
// every type and their edge cases, both paths' profiles (the WebAssembly scanner's, and csv-parse feeding the same
// profiler) equal the profile a plain reference profiler written here computes from csv-parse's records.
import t from 'tap'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import { parse } from 'csv-parse/sync'
import { NULL_TOKENS, type ColumnProfile, type FileProfile } from '../../shared/column-profile.ts'
import { parseOptions } from '../../shared/csv-dialect.ts'
import { extractCsvMetadata, parseFully, type CsvMetadata } from '../../shared/csv-metadata.ts'
import { fileProfile, mergeStates } from '../../shared/csv-profile.ts'
import { CsvScanner } from '../../shared/csv-scan.ts'
import { profilePiece, type PieceJob } from '../../shared/csv-pieces.ts'
import type { Encoding } from '../../shared/file-record.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'
import { ProfilePool } from '../../lambda/profile-pool.ts'
import { ProfileThread } from '../../lambda/profile-thread.ts'
import { split } from '../helpers/chunks.ts'
import { encode } from '../helpers/encode.ts'

/** Threads profiling pieces while the scanner counts: 1 to 3 of them, pieces of a few bytes, so every file splits. */
const pools = [new ProfilePool(1, 1), new ProfileThread(13), new ProfilePool(2, 23), new ProfileThread(90), new ProfilePool(3, 80)]
t.teardown(() => Promise.all(pools.map(pool => pool.close())))

// ---- the reference profiler: regular expressions, Date, BigInt; nothing of the product's profiler

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const INTEGER = /^[+-]?(\d+)$/
/** A decimal comma: digits on both sides. */
const COMMA_NUMBER = /^[+-]?\d+,\d+([eE][+-]?\d+)?$/
/** Thousands grouped by commas (a point the decimal mark), by points (a comma), or by spaces or apostrophes (either). */
const COMMA_GROUPS = /^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$/
const POINT_GROUPS = /^[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$/
const SPACE_GROUPS = /^[+-]?[1-9]\d{0,2}([ \u00a0\u202f]\d{3})+([.,]\d+)?$/
const APOSTROPHE_GROUPS = /^[+-]?[1-9]\d{0,2}(['\u2019]\d{3})+([.,]\d+)?$/
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
/** Day first, with dots: DD.MM.YYYY, or that with a space and H:MM[:SS]. */
const DOTTED = /^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/
/** Month or day first, with slashes: D/D/YYYY, or that with a space and H:MM[:SS], maybe a space and AM or PM. */
const SLASHED = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ([AaPp])[Mm])?)?$/
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})([T ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|([+-])(\d{2})(?::?(\d{2}))?)?$/

type Kind = 'boolean' | 'integer' | 'number' | 'date' | 'datetime' | 'string'
/**
 * `slash`: a date with slashes, whose reading the column decides: its two first numbers, year and time of day (µs).
 * `marks`: a number, as the decimal marks that read it read it; the column decides which.
 */
interface Typed { kind: Kind, format?: string, number?: number, instant?: bigint, iso?: string, slash?: [number, number, number, number], marks?: Marks }
type Mark = 'point' | 'comma'
type Marks = Partial<Record<Mark, Typed>>

/** What a point and a comma as the decimal mark each make of a value, or undefined where neither makes a number. */
function numberMarks (v: string): Marks | undefined {
  const marks: Marks = {}
  if (INTEGER.test(v)) {
    const digits = INTEGER.exec(v)![1]!
    marks.point = marks.comma = { kind: 'integer', format: digits.length > 1 && digits.startsWith('0') ? '0123' : '123', number: Number(v) }
  } else if (NUMBER.test(v)) {
    marks.point = { kind: 'number', format: /[eE]/.test(v) ? '1e3' : '1.5', number: Number(v) }
    if (!v.includes('.')) marks.comma = marks.point
  } else if (COMMA_GROUPS.test(v)) {
    marks.point = { kind: v.includes('.') ? 'number' : 'integer', format: v.includes('.') ? '1,234.5' : '1,234', number: Number(v.replaceAll(',', '')) }
  }
  for (const [groups, label] of [[SPACE_GROUPS, '1 234'], [APOSTROPHE_GROUPS, "1'234"]] as const) {
    if (!groups.test(v)) continue
    const decimal = /[.,]/.exec(v)?.[0]
    const digits = v.replace(/[^\d.,+-]/g, '').replace(',', '.')
    const typed: Typed = { kind: decimal === undefined ? 'integer' : 'number', format: label + (decimal === undefined ? '' : decimal + '5'), number: Number(digits) }
    if (decimal !== ',') marks.point = typed
    if (decimal !== '.') marks.comma = typed
  }
  if (COMMA_NUMBER.test(v)) marks.comma = { kind: 'number', format: /[eE]/.test(v) ? '1e3' : '1,5', number: Number(v.replace(',', '.')) }
  else if (POINT_GROUPS.test(v)) marks.comma = { kind: v.includes(',') ? 'number' : 'integer', format: v.includes(',') ? '1.234,5' : '1.234', number: Number(v.replaceAll('.', '').replace(',', '.')) }
  for (const mark of ['point', 'comma'] as const) if (marks[mark] !== undefined && !Number.isFinite(marks[mark].number)) delete marks[mark]
  return Object.keys(marks).length === 0 ? undefined : marks
}

/** An instant in microseconds as ISO 8601 without a zone, to the second. */
function naiveIso (micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString().slice(0, 19)
}

/** The time of day in microseconds of an hour, minutes and seconds (each maybe absent), or undefined past 23:59:59. */
function timeOfDay (h?: string | number, mi?: string, s?: string): number | undefined {
  if (Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59) return undefined
  return ((Number(h ?? 0) * 60 + Number(mi ?? 0)) * 60 + Number(s ?? 0)) * 1e6
}

function dayOf (y: number, m: number, d: number): number | undefined {
  const date = new Date(0)
  date.setUTCFullYear(y, m - 1, d)
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date.getTime() / 86_400_000 : undefined
}

function typeValue (v: string): Typed {
  for (const [format, pair] of [['true/false', ['true', 'false']], ['True/False', ['True', 'False']], ['TRUE/FALSE', ['TRUE', 'FALSE']]] as const) {
    if ((pair as readonly string[]).includes(v)) return { kind: 'boolean', format }
  }
  const marks = numberMarks(v)
  if (marks !== undefined) return { kind: 'number', marks }
  const date = DATE.exec(v)
  if (date !== null) {
    const day = dayOf(Number(date[1]), Number(date[2]), Number(date[3]))
    return day === undefined ? { kind: 'string' } : { kind: 'date', format: 'YYYY-MM-DD', instant: BigInt(day) * 86_400_000_000n, iso: v }
  }
  const dotted = DOTTED.exec(v)
  if (dotted !== null) {
    const [, d, mo, y, h, mi, s] = dotted
    const day = dayOf(Number(y), Number(mo), Number(d))
    const time = timeOfDay(h, mi, s)
    if (day === undefined || time === undefined) return { kind: 'string' }
    const instant = BigInt(day) * 86_400_000_000n + BigInt(time)
    if (h === undefined) return { kind: 'date', format: 'DD.MM.YYYY', instant, iso: `${y}-${mo}-${d}` }
    return { kind: 'datetime', format: s === undefined ? 'DD.MM.YYYY HH:MM' : 'DD.MM.YYYY HH:MM:SS', instant, iso: naiveIso(instant) }
  }
  const slashed = SLASHED.exec(v)
  if (slashed !== null) {
    const [, a, b, y, h, mi, s, meridiem] = slashed
    const twelve = meridiem !== undefined
    if (twelve && (Number(h) < 1 || Number(h) > 12)) return { kind: 'string' }
    const time = timeOfDay(twelve ? Number(h) % 12 + (/p/i.test(meridiem) ? 12 : 0) : h, mi, s)
    if (time === undefined) return { kind: 'string' }
    const format = (h === undefined ? 'MM/DD/YYYY' : s === undefined ? 'MM/DD/YYYY HH:MM' : 'MM/DD/YYYY HH:MM:SS') + (twelve ? ' AM/PM' : '')
    return { kind: h === undefined ? 'date' : 'datetime', format, slash: [Number(a), Number(b), Number(y), time] }
  }
  const dt = DATETIME.exec(v)
  if (dt === null) return { kind: 'string' }
  const [, y, mo, d, separator, h, mi, s, fraction, zone, sign, zh, zm] = dt
  const day = dayOf(Number(y), Number(mo), Number(d))
  if (day === undefined || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59 || Number(zh ?? 0) > 23 || Number(zm ?? 0) > 59) return { kind: 'string' }
  const micros = Number((fraction ?? '').slice(0, 6).padEnd(6, '0'))
  const offset = zone === undefined ? 0 : zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm ?? 0))
  const local = BigInt(day) * 86_400_000_000n + BigInt(((Number(h) * 60 + Number(mi)) * 60 + Number(s ?? 0)) * 1e6 + micros)
  const zoneLabel = zone === undefined ? '' : zone === 'Z' ? 'Z' : zm === undefined ? '±HH' : zone.includes(':') ? '±HH:MM' : '±HHMM'
  const secondsLabel = s === undefined ? '' : fraction === undefined ? ':SS' : ':SS.sss'
  const fractionText = micros === 0 ? '' : '.' + String(micros).padStart(6, '0').replace(/0+$/, '')
  const zoneText = zone === undefined ? '' : offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${zh}:${zm ?? '00'}`
  return {
    kind: 'datetime',
    format: `YYYY-MM-DD${separator}HH:MM${secondsLabel}${zoneLabel}`,
    instant: local - BigInt(offset) * 60_000_000n,
    iso: `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${fractionText}${zoneText}`
  }
}

/** The exact mean of doubles (BigInt sums of their exact binary values), rounded once. */
function exactMean (numbers: number[]): number {
  const view = new DataView(new ArrayBuffer(8))
  let sum = 0n
  for (const x of numbers) {
    view.setFloat64(0, x)
    const bits = view.getBigUint64(0)
    const exponent = Number((bits >> 52n) & 0x7ffn)
    const mantissa = (bits & ((1n << 52n) - 1n)) | (exponent === 0 ? 0n : 1n << 52n)
    const scaled = mantissa << BigInt(Math.max(exponent, 1) - 1)
    sum += bits >> 63n === 1n ? -scaled : scaled
  }
  const negative = sum < 0n
  const magnitude = negative ? -sum : sum
  const shift = Math.max(0, magnitude.toString(2).length - 1000)
  const value = Number(magnitude >> BigInt(shift)) * 2 ** (shift - 1074) / numbers.length
  return negative ? -value : value
}

/** Dates with slashes as their column reads them: month first if every one is a real day so, else day first, else as strings. */
function readSlashes (typed: Typed[]): Typed[] {
  const instant = ({ slash }: Typed, monthFirst: boolean) => {
    const [a, b, y, time] = slash!
    const day = monthFirst ? dayOf(y, a, b) : dayOf(y, b, a)
    return day === undefined ? undefined : BigInt(day) * 86_400_000_000n + BigInt(time)
  }
  const slashed = typed.filter(x => x.slash !== undefined)
  const monthFirst = slashed.every(x => instant(x, true) !== undefined)
  if (!monthFirst && !slashed.every(x => instant(x, false) !== undefined)) return typed.map(x => x.slash === undefined ? x : { kind: 'string' })
  return typed.map(x => {
    if (x.slash === undefined) return x
    const at = instant(x, monthFirst)!
    const iso = naiveIso(at)
    return { ...x, instant: at, iso: x.kind === 'date' ? iso.slice(0, 10) : iso, format: monthFirst ? x.format : x.format!.replace('MM/DD', 'DD/MM') }
  })
}

/**
 * Numbers as their column reads them: with the decimal mark every one fits of those the delimiter allows (a point
 * where commas delimit; else either, the comma preferred where semicolons do), else as strings.
 */
function readMarks (typed: Typed[], delimiter: string): Typed[] {
  const allowed: Mark[] = delimiter === ',' ? ['point'] : delimiter === ';' ? ['comma', 'point'] : ['point', 'comma']
  const left = allowed.filter(mark => typed.every(x => x.marks === undefined || x.marks[mark] !== undefined))
  return typed.map(x => x.marks === undefined ? x : left.length === 0 ? { kind: 'string' } : x.marks[left[0]!]!)
}

function referenceColumn (name: string, values: string[], delimiter: string): ColumnProfile {
  const kept = values.filter(v => v !== '' && !(NULL_TOKENS as readonly string[]).includes(v))
  const typed = readMarks(readSlashes(kept.map(v => typeValue(v))), delimiter)
  const kinds = new Set(typed.map(x => x.kind))
  const families = new Set([...kinds].map(k => k === 'integer' || k === 'number' ? 'numeric' : k === 'date' || k === 'datetime' ? 'temporal' : k))
  const type = kinds.size === 0
    ? 'empty'
    : kinds.has('string') || families.size > 1
      ? 'string'
      : kinds.has('boolean') ? 'boolean' : kinds.has('number') ? 'number' : kinds.has('integer') ? 'integer' : kinds.has('datetime') ? 'datetime' : 'date'
  let min: number | string | null = null
  let max: number | string | null = null
  let mean: number | null = null
  if (type === 'integer' || type === 'number') {
    const numbers = typed.map(x => x.number!)
    let low = Infinity
    let high = -Infinity
    for (const x of numbers) {
      if (x < low) low = x
      if (x > high) high = x
    }
    min = low
    max = high
    mean = exactMean(numbers)
  } else if (type === 'date' || type === 'datetime') {
    let low = typed[0]!
    let high = typed[0]!
    for (const x of typed) {
      if (x.instant! < low.instant!) low = x
      if (x.instant! > high.instant!) high = x
    }
    const iso = (x: Typed) => type === 'datetime' && x.kind === 'date' ? `${x.iso}T00:00:00` : x.iso!
    min = iso(low)
    max = iso(high)
  }
  const lengths = kept.map(v => [...v].length)
  const distinct = [...new Set(kept)]
  return {
    name,
    type,
    formats: type === 'string' || type === 'empty' ? [] : [...new Set(typed.map(x => x.format!))].sort(),
    values: kept.length,
    empty: values.filter(v => v === '').length,
    nulls: values.length - kept.length - values.filter(v => v === '').length,
    min,
    max,
    mean,
    min_length: kept.length === 0 ? null : Math.min(...lengths),
    max_length: kept.length === 0 ? null : Math.max(...lengths),
    distinct: { count: distinct.length, exact: true },
    samples: distinct.slice(0, 5).map(v => [...v].slice(0, 80).join(''))
  }
}

/** The reference profile of an object the extractor accepted, from csv-parse's records of its decoded text. */
function referenceProfile (bytes: Buffer, found: CsvMetadata): FileProfile {
  const plain = found.compression === 'gzip' ? gunzipSync(bytes) : bytes
  const label = found.encoding === 'utf-8-bom' ? 'utf-8' : found.encoding
  const decoder = new TextDecoder(label, { fatal: true })
  const text = decoder.decode(plain, { stream: true }) + decoder.decode()
  const body = found.dialect.preamble_lines === 0 ? text : text.replace(/^[^\r\n]*(\r\n|\n|\r|$)/, '')
  const records = parse(body, parseOptions(found.dialect, DEFAULT_LIMITS.maxRecordBytes)) as string[][]
  const rows = found.dialect.header ? records.slice(1) : records
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: Buffer.byteLength(text),
    rows: rows.length,
    null_tokens: [...NULL_TOKENS],
    columns: found.column_names.map((name, i) => referenceColumn(name, rows.map(r => r[i]!), found.dialect.delimiter))
  }
}

/** What differs between a profile and the reference: exact, but the mean within 1e-9 and formats in any order. */
function difference (profile: FileProfile, reference: FileProfile): string | undefined {
  const normalized = (p: FileProfile) => ({
    ...p,
    columns: p.columns.map(c => ({ ...c, formats: [...c.formats].sort(), mean: null, min: c.min === 0 ? 0 : c.min, max: c.max === 0 ? 0 : c.max }))
  })
  const a = JSON.stringify(normalized(profile))
  const b = JSON.stringify(normalized(reference))
  if (a !== b) return `profile ${a}\n  reference ${b}`
  for (const [i, column] of profile.columns.entries()) {
    const expected = reference.columns[i]!.mean
    const found = column.mean
    if (expected === null || found === null) {
      if (expected !== found) return `column ${i} mean ${found} != ${expected}`
    } else if (Math.abs(found - expected) > 1e-9 * Math.max(Math.abs(expected), Number.MIN_VALUE)) {
      return `column ${i} mean ${found} != ${expected}`
    }
  }
  return undefined
}

// ---- generated files

const POOLS = {
  integer: ['0', '-0', '+5', '007', '42', '-17', '9007199254740993', '12345678901234567890', '00', '12345678', '123456789', '99999999', '00000000'],
  number: ['1.5', '-0.25', '.5', '5.', '1e308', '-1e308', '1e309', '1E-5', '3.14159265358979323846', '0.1', '2.5e-3', '1e-400', '-.5e+2', '1.7976931348623157e308',
    '12.34', '0.07', '1234567.8', '9999999.9', '00.5', '123456.78', '1.000000',
    // Numbers with a decimal comma: where commas delimit, strings.
    '1,5', '-0,25', '12345678,9', '0,1', '1,234e2', '3,14159265358979323846', '+00,5', '01,234', '1,2345',
    // Thousands grouped: by commas (a point the decimal mark), by points (a comma), or either (1,234 and 1.234).
    '1,234', '-12,345', '123,456', '1.234', '+12.345', '1,234,567', '12,345.67', '-1,234.5', '1.234.567', '1.234,5', '1.234.567,89',
    '1,234,567,890,123,456,789,012.5', '9.999.999.999.999.999.999,99', '1.234e2',
    // Thousands grouped by spaces (French, Nordic, Polish, Russian: U+00A0 or U+202F from Excel) or apostrophes (Swiss).
    '1 234', '-12 345,67', '1\u00a0234\u00a0567', '1\u202f234,5', "1'234.50", '1\u2019000', '+999 999.999', '1 234 567 890 123 456 789,5'],
  // Mostly values either decimal mark reads (as different numbers), so a column often stays undecided to its end.
  thousands: ['1,234', '1.234', '-12,345', '999.999', '+100,000', '42', '-7', '0', '1,234', '5.000', '1,234,567', '1.234.567', '1 234', "12'345"],
  boolean: ['true', 'false', 'True', 'False', 'TRUE', 'FALSE', 'yes', 'tRUE'],
  date: ['2024-02-29', '2023-02-29', '2024-02-30', '1999-12-31', '2000-01-01', '0999-05-05', '2024-13-01', '2024-04-31',
    '2024-00-10', '2024-01-00', '2100-02-29', '2000-02-29', '2023-02-28', '2024-04-30', '2024-1a-01', '2024-01-0', '2024/01/01',
    // Day first, with dots (German, Nordic, Russian, ... exports).
    '01.02.2026', '29.02.2024', '29.02.2023', '31.04.2024', '31.12.1999', '00.01.2024', '01.13.2024', '1.2.2024', '01.02.26', '01.02.2026.', '01-02-2026',
    // With slashes: month first (US), day first (UK, France, India), either, neither.
    '1/5/2026', '12/31/2026', '31/12/2026', '2/29/2024', '29/02/2024', '2/29/2023', '13/13/2026', '0/5/2026', '05/06/2026', '1/5/26', '123/5/2026', '1/5/2026/'],
  datetime: ['2024-01-01T10:00', '2024-01-01 10:00:00', '2024-01-01T23:59:59.123456789Z', '2024-06-01T08:00:00+02:00', '2024-06-01T08:00:00-0530',
    '2024-06-01T08:00+05', '2024-01-01T24:00', '2024-06-01T06:00:00Z', '2024-06-01T08:00:00.5+00:00', '2024-01-01T10:00:60',
    '2024-02-29 23:59', '2024-02-29T00:00:00', '2023-02-29T12:00:00Z', '2024-01-01t10:00', '2024-01-01T1:00', '2024-01-01T10:0a', '2024-01-01T10-00',
    '01.02.2026 14:30', '29.02.2024 23:59:59', '01.02.2026 00:00', '01.02.2026 24:00', '01.02.2026 14:60', '01.02.2026 14:30:60', '01.02.2026T14:30',
    '01.02.2026 14:30:05.5', '01.02.2026 14:30Z', '01.02.2026  14:30', '01.02.2026 1:30',
    '1/5/2026 9:05', '12/31/2026 23:59:59', '31/12/2026 00:00', '1/5/2026 24:00', '1/5/2026 9:5', '1/5/2026 09:05:60', '1/5/2026T09:05',
    '1/5/2026 9:05 PM', '12/31/2026 12:00:00 AM', '1/5/2026 12:30 pm', '31/12/2026 11:59:59 PM', '1/5/2026 13:30 PM', '1/5/2026 0:30 AM',
    '1/5/2026 2:30PM', '1/5/2026 2:30 P', '1/5/2026 2:30 PMX', '01.02.2026 2:30 PM'],
  string: ['a', 'hello world', 'é😀', ' 12', '12 ', '1,23,456', '12/05/24', 'x"y', "it's", 'line\nbreak', 'cr\r\nlf', 'x'.repeat(90) + 'é', 'nan', 'Infinity', '#tag', 'a;b|c\td',
    '12:34', '1/2', '1.2.3', '12345/78', '1²', '１２', '9.9.', '1:2', '12345;78', '5,', ',5', '1,2,3', '1,5.5', '1,234.', '1.234.5',
    '0,123,456', '1,2345.6', '1,234e2.5', '12,34,567', '1,234,56', '1.234,5.6',
    '12 34', '1234 567', '1 234,567.8', "1 234'567", '1 234e2', '1  234', '1 234 ', '0 123', '1\u00a0234,', "1'234,5.6"],
  missing: [...NULL_TOKENS, '', '']
} as const
type Pool = keyof typeof POOLS
const poolNames = Object.keys(POOLS) as Pool[]

const column = fc.record({ pool: fc.constantFrom(...poolNames), noise: fc.constantFrom(0, 0, 0.1, 0.3) })
const dialect = fc.record({
  delimiter: fc.constantFrom(',', ';', '\t', '|'),
  quote: fc.constantFrom('"', '"', "'"),
  backslash: fc.constantFrom(false, false, false, true),
  comment: fc.boolean(),
  sep: fc.constantFrom(false, false, false, true),
  header: fc.constantFrom(true, true, false),
  end: fc.constantFrom('\n', '\r\n', '\r'),
  quoteAll: fc.constantFrom(0, 0.2, 1)
})
const encoding = fc.constantFrom<Encoding>('utf-8', 'utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252')

const file = fc.record({
  dialect,
  columns: fc.array(column, { minLength: 1, maxLength: 5 }),
  rows: fc.integer({ min: 1, max: 25 }),
  picks: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
  noise: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 200, maxLength: 200 }),
  encoding,
  gzip: fc.constantFrom(false, false, false, true)
}).map(({ dialect: d, columns, rows, picks, noise, encoding, gzip }) => {
  let k = 0
  const pick = (pool: Pool) => { const values = POOLS[pool]; return values[picks[k++ % picks.length]! % values.length]! }
  const cell = (value: string, first: boolean) => {
    if (d.backslash) value = value.replaceAll('\\', '')
    const needs = value.includes(d.delimiter) || value.includes(d.quote) || /[\r\n]/.test(value) || value.includes('\\') ||
      (first && value.startsWith('#')) || (value === '' && columns.length === 1)
    if (!needs && noise[k % noise.length]! >= d.quoteAll) return value
    const escaped = value.replaceAll(d.quote, (d.backslash ? '\\' : d.quote) + d.quote)
    return d.quote + escaped + d.quote
  }
  const lines: string[] = []
  if (d.sep) lines.push(`sep=${d.delimiter}`)
  if (d.comment) lines.push('# written by a test')
  if (d.header) lines.push(columns.map((_, i) => `col${i}`).join(d.delimiter))
  for (let r = 0; r < rows; r++) {
    lines.push(columns.map((c, i) => {
      const pool = noise[k % noise.length]! < c.noise ? poolNames[picks[k % picks.length]! % poolNames.length]! : c.pool
      return cell(pick(pool), i === 0)
    }).join(d.delimiter))
  }
  const text = lines.join(d.end) + d.end
  const bytes = encode(text, encoding)
  return { text, bytes: gzip ? gzipSync(bytes) : bytes }
})

t.test('both paths, and pieces profiled in parallel, give the reference profile, in every dialect, encoding and chunking', async t => {
  let profiled = 0
  const runs = 400
  await fc.assert(fc.asyncProperty(file, fc.array(fc.nat(), { maxLength: 6 }), async ({ text, bytes }, cuts) => {
    let fast: CsvMetadata
    try {
      fast = await extractCsvMetadata(() => split(bytes, cuts))
    } catch (err) {
      // A file the sniffer reads in another dialect can be ragged: both paths must then agree that it fails.
      await t.rejects(parseFully(() => [bytes]), { code: (err as { code: string }).code })
      return
    }
    const slow = await parseFully(() => [bytes])
    const parallel = await extractCsvMetadata(() => split(bytes, cuts), DEFAULT_LIMITS, pools[profiled % pools.length])
    const reference = referenceProfile(bytes, fast)
    const problem = difference(fast.profile, reference) ?? difference(slow.profile, reference) ?? difference(parallel.profile, fast.profile) ??
      (parallel.row_count === fast.row_count ? undefined : `in parallel ${parallel.row_count} rows, sequentially ${fast.row_count}`) ??
      (JSON.stringify(parallel.warnings) === JSON.stringify(fast.warnings) ? undefined : `in parallel warnings ${JSON.stringify(parallel.warnings)}, sequentially ${JSON.stringify(fast.warnings)}`)
    if (problem !== undefined) throw new Error(`${JSON.stringify(text)} cut at ${JSON.stringify(cuts)}:\n  ${problem}`)
    profiled++
  }), { numRuns: runs })
  t.ok(profiled > runs * 0.8, `${profiled} of ${runs} files profiled and compared (the others failed alike on both paths)`)
})

t.test('every value of the pools, alone in a column, is typed and measured as the reference types and measures it', async t => {
  // A column of generated values is often a string column after its first odd value, past which values are not
  // classified: here each value decides its column alone, on both paths, twice so that the second is seen before.
  let compared = 0
  for (const [pool, values] of Object.entries(POOLS)) {
    for (const value of values) {
      if (/[\r\n"]/.test(value)) continue
      for (const delimiter of [',', ';', '\t']) {
        if (value.includes(delimiter)) continue
        const bytes = Buffer.from(`v${delimiter}w\n${value}${delimiter}x\n${value}${delimiter}y\n`)
        const reference = referenceProfile(bytes, await parseFully(() => [bytes]))
        for (const found of [await extractCsvMetadata(() => [bytes]), await parseFully(() => [bytes])]) {
          const problem = difference(found.profile, reference)
          if (problem !== undefined) t.fail(`${pool} ${JSON.stringify(value)} delimited by ${delimiter}: ${problem}`)
          else compared++
        }
      }
    }
  }
  t.ok(compared > 400, `${compared} columns compared`)
})

t.test('strings of digits, marks, spaces, signs and exponents, alone in a column, are read as the reference reads them', async t => {
  // The number readers' edge cases beyond the pools: runs of digits (of three, and not) between any marks, with or
  // without a sign and an exponent, twice in a column (so a value undecided between the marks stays so), on both
  // paths, where commas, semicolons and tabs delimit.
  const run = fc.constantFrom('1', '12', '123', '999', '0', '012', '1234', '')
  const mark = fc.constantFrom(',', '.', ' ', '\u00a0', '\u202f', "'", '\u2019', '  ')
  const value = fc.tuple(fc.constantFrom('', '', '-', '+', ' '), run, fc.array(fc.tuple(mark, run), { maxLength: 4 }), fc.constantFrom('', '', '', 'e5', 'E-2', 'e', 'e+', ' '))
    .map(([sign, first, rest, end]) => sign + first + rest.map(([m, r]) => m + r).join('') + end)
    .filter(v => v !== '')
  await fc.assert(fc.asyncProperty(value, fc.constantFrom(',', ';', '\t'), async (v, delimiter) => {
    const bytes = Buffer.from(`v${delimiter}w\n"${v}"${delimiter}x\n"${v}"${delimiter}y\n`)
    const reference = referenceProfile(bytes, await parseFully(() => [bytes]))
    for (const found of [await extractCsvMetadata(() => [bytes]), await parseFully(() => [bytes])]) {
      const problem = difference(found.profile, reference)
      if (problem !== undefined) throw new Error(`${JSON.stringify(v)} delimited by ${JSON.stringify(delimiter)}: ${problem}`)
    }
  }), { numRuns: 1500 })
  t.pass('1,500 values read alike')
})

t.test('two scanners over consecutive records merge into the profile of one scanner over all', async t => {
  const simple = fc.record({
    columns: fc.array(fc.constantFrom(...poolNames.filter(p => p !== 'string')), { minLength: 1, maxLength: 4 }),
    rows: fc.array(fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), { minLength: 2, maxLength: 30 }),
    at: fc.nat(),
    delimiter: fc.constantFrom(',', ';', '\t')
  })
  await fc.assert(fc.property(simple, ({ columns, rows, at, delimiter }) => {
    // Joined unquoted: the values holding the delimiter are left out.
    const lines = rows.map(row => columns.map((pool, i) => { const values = POOLS[pool].filter(v => !v.includes(delimiter)); return values[row[i]! % values.length]! }).map(v => v === '' ? '""' : v).join(delimiter))
    const names = columns.map((_, i) => `c${i}`)
    const cut = 1 + at % (lines.length - 1)
    const dialect = { delimiter, quote: '"', comment: null }
    const scanned = (text: string, firstIsData: boolean) => {
      const scanner = new CsvScanner(DEFAULT_LIMITS.maxRecordBytes, dialect, { maxColumns: 100, firstIsData })
      scanner.push(Buffer.from(text))
      scanner.end()
      return scanner
    }
    const whole = scanned(names.join(delimiter) + '\n' + lines.join('\n') + '\n', false)
    const first = scanned(names.join(delimiter) + '\n' + lines.slice(0, cut).join('\n') + '\n', false)
    const second = scanned(lines.slice(cut).join('\n') + '\n', true)
    const file = { sha256: '', bytes: 0, rows: lines.length }
    const merged = fileProfile(mergeStates(first.profileState(), second.profileState()), names, file)
    const problem = difference(merged, fileProfile(whole.profileState(), names, file))
    if (problem !== undefined) throw new Error(`${JSON.stringify(lines)} cut at ${cut}: ${problem}`)
  }), { numRuns: 300 })
  t.pass('300 merges agree')
})

t.test('past the exact bound, the distinct count is a HyperLogLog estimate within its stated error', async t => {
  const rows = Array.from({ length: 60_000 }, (_, i) => `${i},${i % 7},v${i * 7919 % 50_000}`)
  const found = await extractCsvMetadata(() => [Buffer.from('id,small,mixed\n' + rows.join('\n') + '\n')])
  const [id, small, mixed] = found.profile.columns as [ColumnProfile, ColumnProfile, ColumnProfile]
  t.same(small.distinct, { count: 7, exact: true })
  t.equal(id.distinct.exact, false)
  t.equal(id.distinct.standard_error, 0.0081)
  // Four standard errors: a deterministic input, so this either always holds or never.
  t.ok(Math.abs(id.distinct.count - 60_000) < 60_000 * 4 * 0.0081, `${id.distinct.count} estimates 60,000`)
  t.ok(Math.abs(mixed.distinct.count - 50_000) < 50_000 * 4 * 0.0081, `${mixed.distinct.count} estimates 50,000`)
  t.same(id.samples, ['0', '1', '2', '3', '4'])
  t.same([id.min, id.max, id.mean], [0, 59_999, 29_999.5])
})

t.test('pieces cut at record starts, with quoted fields of several lines around every cut, profile as one read', async t => {
  const rows = Array.from({ length: 500 }, (_, i) => `${i},"line ${i}\nand ""more""\r\n${i % 13}",${i % 3 === 0 ? 'NA' : (i / 7).toFixed(3)},2024-01-${String(1 + i % 28).padStart(2, '0')}`)
  const bytes = Buffer.from('id,text,x,day\n' + rows.join('\n') + '\n')
  // Each piece answered at once on this thread, so every piece comes here (with threads, the reading thread
  // profiles some itself while they are busy) and the count is the same in every run.
  let pieces = 0
  const counting = { workers: 3, pieceBytes: 100, profile: async (job: PieceJob, piece: Uint8Array) => { pieces++; return profilePiece(job, piece) } }
  const sequential = await extractCsvMetadata(() => split(bytes, [1000, 5000, 5001]))
  const parallel = await extractCsvMetadata(() => split(bytes, [1000, 5000, 5001]), DEFAULT_LIMITS, counting)
  t.ok(pieces > 100, `${pieces} pieces`)
  t.equal(parallel.row_count, 500)
  t.equal(difference(parallel.profile, sequential.profile), undefined)
  t.same(parallel.profile.columns[1]!.samples, sequential.profile.columns[1]!.samples)
})

t.test('pieces cut by counting quotes: stray quotes, blank lines and every line end give what one read gives', async t => {
  const pool = pools[2] as ProfilePool
  const tiny = { workers: pool.workers, pieceBytes: 40, profile: (...args: Parameters<ProfilePool['profile']>) => pool.profile(...args) }
  const files = {
    // A quote inside an unquoted field is a character of it (as csv-parse's relax_quotes reads it): the parity is
    // off from there, so some cuts fall inside quoted fields; the piece before such a cut ends inside a quote.
    'stray quotes': 'id,name,note\n' + Array.from({ length: 60 }, (_, i) => i % 2 === 0 ? `${i},5" disk,"a\nb"` : `${i},n${i},"x ""${i}"" y"`).join('\n') + '\n',
    'CRLF, blank lines after the header and between rows': 'a,b\r\n\r\n' + Array.from({ length: 80 }, (_, i) => `${i},"v\r\n${i}"${i % 10 === 0 ? '\r\n' : ''}`).join('\r\n') + '\r\n',
    'CR alone': 'a,b\r' + Array.from({ length: 80 }, (_, i) => `${i},${i % 5 === 0 ? '' : 'x'}`).join('\r') + '\r\r',
    'no header, no final line end': Array.from({ length: 70 }, (_, i) => `${i};"${i % 3}"`).join('\n'),
    // The first record, data, spans several pieces' worth of chunks before the cutter takes over.
    'no header, CRLF, a long first record': Array.from({ length: 40 }, (_, i) => i === 0 ? '9'.repeat(90) : String(i % 7 - 3)).join('\r\n') + '\r\n',
    // Wide files get pieces in proportion to their width.
    '300 columns, multi-line fields': Array.from({ length: 300 }, (_, c) => `c${c}`).join(',') + '\n' +
      Array.from({ length: 30 }, (_, i) => Array.from({ length: 300 }, (_, c) => c % 7 === 0 ? `"q${i}\n${c}"` : String((i * 7 + c) % 97)).join(',')).join('\n') + '\n'
  }
  for (const [label, text] of Object.entries(files)) {
    const bytes = Buffer.from(text)
    const sequential = await extractCsvMetadata(() => split(bytes, [7, 100]))
    const parallel = await extractCsvMetadata(() => split(bytes, [7, 100]), DEFAULT_LIMITS, tiny)
    t.same([parallel.row_count, parallel.warnings, parallel.dialect], [sequential.row_count, sequential.warnings, sequential.dialect], `${label}: ${sequential.row_count} rows, header ${sequential.dialect.header}`)
    t.equal(difference(parallel.profile, sequential.profile), undefined, `${label}: the same profile`)
  }
})
