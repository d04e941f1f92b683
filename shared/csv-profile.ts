// Column profiles: the WebAssembly profiler's per-column state read out as plain values, merged, and reported.
//
// The rules (wasm/csv-profile.as.ts applies them to every field, on both paths):
// - empty: a field of zero characters (a quoted "" too); null: exactly one of NULL_TOKENS; a value: anything else.
// - a value is a boolean (true/false, True/False, TRUE/FALSE), an integer ([+-]digits; leading zeros allowed, as
//   DuckDB and Frictionless read them, with the format `0123` reported), a number ([+-]digits[.digits][e[+-]digits],
//   also `.5` and `5.`, that a double can hold: 1e309 is a string), either maybe with thousands grouped (one to three
//   digits, not from 0, then groups of three: 1,234,567.5, or 1.234.567,5 where a comma is the decimal mark, or by
//   spaces, U+00A0 or U+202F, or apostrophes, ' or U+2019, before either mark: 1 234 567,5, 1'234'567.5), a date
//   (YYYY-MM-DD, DD.MM.YYYY, or D/D/YYYY: a real calendar day) or a datetime (a date, T or a space,
//   HH:MM[:SS[.fraction]], then Z, ±HH:MM, ±HHMM, ±HH or nothing; or DD.MM.YYYY or D/D/YYYY, a space, H:MM[:SS], and
//   after D/D/YYYY maybe AM or PM), else a string.
// - with slashes the column decides whether the month or the day comes first: the reading every such value fits,
//   month first when both do; a value no reading that is left fits makes a string. It decides its numbers' decimal
//   mark alike: where commas delimit, a point (1,234 is 1234 and 1,5 a string); elsewhere the mark every number fits,
//   a point (1.5, 1,234.5) or a comma (1,5, 1.234,5, as Excel writes numbers where it uses semicolons); where every
//   one fits both (1,234 and 1.234 only), the comma where semicolons delimit, else the point. Values are typed as
//   written: " 12" (padded) is a string.
// - the column's type is the narrowest every value fits: integer widens to number, date to datetime; values from
//   two families (boolean, numeric, temporal), or any string, make it a string; no value at all leaves it empty.
// - min/max: numbers as doubles; dates and datetimes as instants (a datetime without a zone is taken as UTC),
//   reported in ISO 8601 (to the microsecond, with the zone the value had); mean: a compensated (Neumaier) sum of
//   the doubles over the count; lengths in Unicode code points; distinct: exact over the values' bytes (a doubled
//   quote counts once) up to the bound, then a HyperLogLog estimate; samples: the first distinct values.
import type { ColumnProfile, ColumnType, FileProfile } from './column-profile.ts'
import { NULL_TOKENS } from './column-profile.ts'
import { borrowInstance, returnInstance, type CsvWasm } from './csv-wasm.ts'

export const SAMPLES = 5
export const SAMPLE_CHARACTERS = 80

const Kind = { boolean: 1, integer: 2, number: 4, date: 8, datetime: 16, string: 32 } as const
const Slash = { monthFirst: 1, dayFirst: 2 } as const
const Decimal = { point: 1, comma: 2, preferComma: 4 } as const
const NAIVE = 100000
const I64_MAX = 2n ** 63n - 1n
const I64_MIN = -(2n ** 63n)

/** What the profiler knows of one column: enough to report it, or to merge it with the same column's next bytes. */
export interface ColumnState {
  values: number
  empty: number
  nulls: number
  /** The kinds of values seen (Kind bits) and their formats (bits, see FORMATS). */
  kinds: number
  formats: bigint
  numMin: number
  numMax: number
  /** Neumaier's sum of the numbers [sum, compensation]; times 2^-64 when `scaled` (a sum that would overflow). */
  sum: [number, number]
  scaled: boolean
  /** Instants in microseconds since 1970 (UTC), with the zone of the value (minutes east, or NAIVE). */
  dateMin: bigint
  dateMax: bigint
  dateMinZone: number
  dateMaxZone: number
  /**
   * Which readings fit every date written with slashes so far (Slash bits: 3 before there is one), and the range of
   * instants [min, max] each reading gives them.
   */
  slash: number
  monthFirst: [bigint, bigint]
  dayFirst: [bigint, bigint]
  /**
   * Which decimal marks read every number so far (Decimal bits, with preferComma where a column both fit reads the
   * comma), and per mark what the numbers it reads otherwise than the other (1,234 and 1.234) add.
   */
  decimal: number
  point: MarkPart
  comma: MarkPart
  /** Code points; lengthMin is 2^31 - 1 and lengthMax -1 while there is no value. */
  lengthMin: number
  lengthMax: number
  /** The distinct values' hashes, in ascending order, while counted exactly, else undefined. */
  hashes: BigUint64Array | undefined
  /** HyperLogLog registers once past the exact bound. */
  sketch: Uint8Array | undefined
  samples: string[]
}

/** The numbers one decimal mark reads otherwise than the other: their kinds, formats, range and sum (as ColumnState's). */
export interface MarkPart {
  kinds: number
  formats: bigint
  min: number
  max: number
  sum: [number, number]
  scaled: boolean
}

export interface ProfileState {
  columns: ColumnState[]
  /** Most distinct values counted exactly per column, and the sketch's precision (2^bits registers). */
  distinctBound: number
  sketchBits: number
}

/** Reads the state of the first `count` columns out of a profiler instance. */
export function readState (wasm: CsvWasm, count: number, samples: string[][]): ProfileState {
  const view = new DataView(wasm.memory.buffer)
  const stride = wasm.columnStride()
  const columns: ColumnState[] = []
  for (let c = 0; c < count; c++) {
    const s = wasm.columnsBase() + c * stride
    const i64 = (offset: number) => view.getBigInt64(s + offset, true)
    const f64 = (offset: number) => view.getFloat64(s + offset, true)
    const i32 = (offset: number) => view.getInt32(s + offset, true)
    // A part is laid out as the record from its formats (24) to its scale (64), then its kinds.
    const part = (at: number): MarkPart => ({ formats: i64(at), min: f64(at + 8), max: f64(at + 16), sum: [f64(at + 24), f64(at + 32)], scaled: f64(at + 40) !== 0, kinds: i32(at + 48) })
    const set = view.getUint32(s + 116, true)
    const slots = i32(124)
    const sketchAt = view.getUint32(s + 128, true)
    let hashes: BigUint64Array | undefined
    if (sketchAt === 0) {
      // A typed array (not BigInts one by one): cheap to copy to another thread, sorted to merge in one pass. The
      // empty slots (0, which no hash is) sort first and are dropped, without a BigInt made per slot.
      const table = new BigUint64Array(wasm.memory.buffer, set, slots).slice().sort()
      hashes = table.slice(slots - i32(120))
    }
    columns.push({
      values: Number(i64(0)),
      empty: Number(i64(8)),
      nulls: Number(i64(16)),
      formats: i64(24),
      numMin: f64(32),
      numMax: f64(40),
      sum: [f64(48), f64(56)],
      scaled: f64(64) !== 0,
      dateMin: i64(80),
      dateMax: i64(88),
      kinds: i32(96),
      lengthMin: i32(100),
      lengthMax: i32(104),
      dateMinZone: i32(108),
      dateMaxZone: i32(112),
      slash: i32(152),
      monthFirst: [i64(160), i64(168)],
      dayFirst: [i64(176), i64(184)],
      decimal: i32(72),
      point: part(192),
      comma: part(248),
      hashes,
      sketch: sketchAt === 0 ? undefined : new Uint8Array(wasm.memory.buffer.slice(sketchAt, sketchAt + (1 << wasm.sketchBits()))),
      samples: samples[c] ?? []
    })
  }
  return { columns, distinctBound: wasm.distinctBound(), sketchBits: wasm.sketchBits() }
}

const encoder = new TextEncoder()

/**
 * Profiles values one at a time: the path where csv-parse reads the records. Same rules, same WebAssembly; `close`
 * gives its instance back for reuse.
 */
export class ValueProfiler {
  readonly #wasm = borrowInstance()
  readonly #samples: string[][] = []
  #columns = 0

  readonly #maxColumns: number

  /** `delimiter`: the file's, which says whether a comma may be a decimal separator (csv-profile.as.ts). */
  constructor (maxColumns: number, delimiter = ',') {
    this.#wasm.reset(0, delimiter.charCodeAt(0), 0x22, -1, maxColumns, true)
    this.#maxColumns = maxColumns
  }

  /** Sizes the distinct counters; call once the first record's width is known. */
  columns (count: number): void {
    this.#columns = Math.min(count, this.#maxColumns)
    this.#wasm.profileColumns(count)
  }

  add (column: number, value: string): void {
    if (value === '') {
      this.#wasm.profileValue(column, 0)
      return
    }
    const room = value.length * 3
    const at = this.#wasm.valueAt(room)
    const { written } = encoder.encodeInto(value, new Uint8Array(this.#wasm.memory.buffer, at, room))
    if (this.#wasm.profileValue(column, written) !== 0) (this.#samples[column] ??= []).push(sampleText(value))
  }

  state (): ProfileState {
    return readState(this.#wasm, this.#columns, this.#samples)
  }

  /** Done with: its instance goes back for the next read. */
  close (): void {
    returnInstance(this.#wasm)
  }
}

/** A sample as reported: at most SAMPLE_CHARACTERS code points. */
export function sampleText (value: string): string {
  return value.length <= SAMPLE_CHARACTERS ? value : Array.from(value).slice(0, SAMPLE_CHARACTERS).join('')
}

/**
 * The state of bytes `a` followed by bytes `b` of the same file (each a whole number of records): what one
 * profiler reading both would have, except the mean's last bits (the compensated sums are added, not replayed).
 */
export function mergeStates (a: ProfileState, b: ProfileState): ProfileState {
  const columns = a.columns.map((x, i) => {
    const y = b.columns[i]
    if (y === undefined) return x
    // Dates with slashes, or numbers, that no one reading fits in both make a string, as one profiler reading both would.
    const slash = x.slash & y.slash
    const decimal = x.decimal & y.decimal
    const merged: ColumnState = {
      values: x.values + y.values,
      empty: x.empty + y.empty,
      nulls: x.nulls + y.nulls,
      kinds: widen(x.kinds | y.kinds | (slash === 0 || (decimal & (Decimal.point | Decimal.comma)) === 0 ? Kind.string : 0)),
      formats: x.formats | y.formats,
      numMin: y.numMin < x.numMin ? y.numMin : x.numMin,
      numMax: y.numMax > x.numMax ? y.numMax : x.numMax,
      ...mergeSums(x, y),
      dateMin: y.dateMin < x.dateMin ? y.dateMin : x.dateMin,
      dateMinZone: y.dateMin < x.dateMin ? y.dateMinZone : x.dateMinZone,
      dateMax: y.dateMax > x.dateMax ? y.dateMax : x.dateMax,
      dateMaxZone: y.dateMax > x.dateMax ? y.dateMaxZone : x.dateMaxZone,
      slash,
      monthFirst: mergeRanges(x.monthFirst, y.monthFirst),
      dayFirst: mergeRanges(x.dayFirst, y.dayFirst),
      decimal,
      point: mergeParts(x.point, y.point),
      comma: mergeParts(x.comma, y.comma),
      lengthMin: Math.min(x.lengthMin, y.lengthMin),
      lengthMax: Math.max(x.lengthMax, y.lengthMax),
      hashes: undefined,
      sketch: undefined,
      samples: [...x.samples, ...y.samples.filter(v => !x.samples.includes(v))].slice(0, SAMPLES)
    }
    if (x.hashes !== undefined && y.hashes !== undefined) {
      const union = sortedUnion(x.hashes, y.hashes)
      if (union.length <= a.distinctBound) merged.hashes = union
      else merged.sketch = sketchOf(union, a.sketchBits)
    } else {
      merged.sketch = new Uint8Array(1 << a.sketchBits)
      for (const side of [x, y]) {
        if (side.sketch !== undefined) maxInto(merged.sketch, side.sketch)
        else addToSketch(merged.sketch, side.hashes!, a.sketchBits)
      }
    }
    return merged
  })
  return { ...a, columns }
}

function mergeParts (x: MarkPart, y: MarkPart): MarkPart {
  return { kinds: x.kinds | y.kinds, formats: x.formats | y.formats, min: Math.min(x.min, y.min), max: Math.max(x.max, y.max), ...mergeSums(x, y) }
}

function mergeRanges ([xMin, xMax]: [bigint, bigint], [yMin, yMax]: [bigint, bigint]): [bigint, bigint] {
  return [yMin < xMin ? yMin : xMin, yMax > xMax ? yMax : xMax]
}

/**
 * The values of two ascending arrays, each once, in ascending order: both sorted together natively, then the
 * repeats dropped comparing 32-bit halves (a BigInt per value would cost more than the sort).
 */
function sortedUnion (a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  const all = new BigUint64Array(a.length + b.length)
  all.set(a)
  all.set(b, a.length)
  all.sort()
  const halves = new Uint32Array(all.buffer)
  let n = 0
  for (let k = 0; k < all.length; k++) {
    if (n > 0 && halves[2 * k] === halves[2 * n - 2] && halves[2 * k + 1] === halves[2 * n - 1]) continue
    halves[2 * n] = halves[2 * k]!
    halves[2 * n + 1] = halves[2 * k + 1]!
    n++
  }
  return all.slice(0, n)
}

/** Each register of `into` raised to the one of `from` where that is higher (the sketch of the union). */
function maxInto (into: Uint8Array, from: Uint8Array): void {
  for (let k = 0; k < into.length; k++) if (from[k]! > into[k]!) into[k] = from[k]!
}

/** The profile of a file from its state. */
export function fileProfile (state: ProfileState, names: string[], file: { sha256: string, bytes: number, rows: number }): FileProfile {
  return {
    sha256: file.sha256,
    bytes: file.bytes,
    rows: file.rows,
    null_tokens: [...NULL_TOKENS],
    columns: names.map((name, i) => columnProfile(name, state.columns[i] ?? emptyColumn(), state.sketchBits))
  }
}

function columnProfile (name: string, state: ColumnState, sketchBits: number): ColumnProfile {
  const c = withDecimalMark(state)
  const type = typeOf(c.kinds)
  const numeric = type === 'integer' || type === 'number'
  const temporal = type === 'date' || type === 'datetime'
  // Dates with slashes read month first where every one fits that (as dateutil and pandas read 01/02/2026), else day first.
  const monthFirst = (c.slash & Slash.monthFirst) !== 0
  const [slashMin, slashMax] = monthFirst ? c.monthFirst : c.dayFirst
  return {
    name,
    type,
    formats: formatsOf(type, c.formats, monthFirst),
    values: c.values,
    empty: c.empty,
    nulls: c.nulls,
    min: numeric ? c.numMin : temporal ? (slashMin < c.dateMin ? isoInstant(slashMin, NAIVE, type) : isoInstant(c.dateMin, c.dateMinZone, type)) : null,
    max: numeric ? c.numMax : temporal ? (slashMax > c.dateMax ? isoInstant(slashMax, NAIVE, type) : isoInstant(c.dateMax, c.dateMaxZone, type)) : null,
    mean: numeric ? mean(c) : null,
    min_length: c.values > 0 ? c.lengthMin : null,
    max_length: c.values > 0 ? c.lengthMax : null,
    distinct: c.hashes !== undefined
      ? { count: c.hashes.length, exact: true }
      : { count: estimate(c.sketch!), exact: false, standard_error: Math.round(10000 * 1.04 / Math.sqrt(1 << sketchBits)) / 10000 },
    samples: c.samples
  }
}

/**
 * The column with the numbers that its decimal mark reads otherwise than the other joined to the rest: the mark
 * every number fits, and where both do, the comma where the file prefers it (semicolons delimit), else the point.
 */
function withDecimalMark (c: ColumnState): ColumnState {
  const both = (c.decimal & (Decimal.point | Decimal.comma)) === (Decimal.point | Decimal.comma)
  const part = (both ? (c.decimal & Decimal.preferComma) !== 0 : (c.decimal & Decimal.comma) !== 0) ? c.comma : c.point
  return {
    ...c,
    kinds: widen(c.kinds | part.kinds),
    formats: c.formats | part.formats,
    numMin: Math.min(c.numMin, part.min),
    numMax: Math.max(c.numMax, part.max),
    ...mergeSums(c, part)
  }
}

function typeOf (kinds: number): ColumnType {
  if ((kinds & Kind.string) !== 0) return 'string'
  if (kinds === 0) return 'empty'
  if (kinds === Kind.boolean) return 'boolean'
  if ((kinds & ~Kind.integer) === 0) return 'integer'
  if ((kinds & ~(Kind.integer | Kind.number)) === 0) return 'number'
  if (kinds === Kind.date) return 'date'
  return 'datetime'
}

function widen (kinds: number): number {
  const families = (kinds & Kind.boolean) + ((kinds & (Kind.integer | Kind.number)) !== 0 ? 1 : 0) + ((kinds & (Kind.date | Kind.datetime)) !== 0 ? 1 : 0)
  return families > 1 ? kinds | Kind.string : kinds
}

const SECONDS = ['', ':SS', ':SS.sss']
const ZONES = ['', 'Z', '±HH:MM', '±HHMM', '±HH']
/**
 * Format labels by bit: 30 datetime shapes, then the date, integers, numbers, booleans, dates with dots, dates
 * with slashes (month first; day first where the column reads them so) and numbers with grouped thousands.
 */
const FORMATS: string[] = [
  ...['T', ' '].flatMap(separator => SECONDS.flatMap(seconds => ZONES.map(zone => `YYYY-MM-DD${separator}HH:MM${seconds}${zone}`))),
  'YYYY-MM-DD', '123', '0123', '1.5', '1e3', '1,5', 'true/false', 'True/False', 'TRUE/FALSE',
  'DD.MM.YYYY', 'DD.MM.YYYY HH:MM', 'DD.MM.YYYY HH:MM:SS', 'MM/DD/YYYY', 'MM/DD/YYYY HH:MM', 'MM/DD/YYYY HH:MM:SS',
  'MM/DD/YYYY HH:MM AM/PM', 'MM/DD/YYYY HH:MM:SS AM/PM', '1,234', '1,234.5', '1.234', '1.234,5',
  '1 234', '1 234.5', '1 234,5', "1'234", "1'234.5", "1'234,5"
]
const bits = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k)
/** The format bits each type reports, in the order it lists them: dates before datetime shapes, so a widened column reads YYYY-MM-DD first. */
const FORMATS_OF: Record<ColumnType, number[]> = {
  empty: [], string: [], boolean: bits(36, 39), integer: [...bits(31, 33), 47, 49, 51, 54], number: [...bits(31, 36), ...bits(47, 57)], date: [30, 39, 42], datetime: [30, 39, 42, ...bits(0, 30), 40, 41, 43, 44, 45, 46]
}

function formatsOf (type: ColumnType, seen: bigint, monthFirst: boolean): string[] {
  const labels = FORMATS_OF[type].filter(bit => ((seen >> BigInt(bit)) & 1n) === 1n).map(bit => FORMATS[bit]!)
  return monthFirst ? labels : labels.map(label => label.replace('MM/DD', 'DD/MM'))
}

function mean (c: ColumnState): number {
  const mean = (c.sum[0] + c.sum[1]) / c.values
  return c.scaled ? mean * 2 ** 64 : mean
}

function mergeSums (x: Sum, y: Sum): Sum {
  const scaled = x.scaled || y.scaled
  const scale = (c: Sum) => scaled && !c.scaled ? c.sum.map(v => v * 2 ** -64) as [number, number] : c.sum
  const [sum, compensation] = scale(y)
  return { sum: addSum(addSum(scale(x), sum), compensation), scaled }
}

type Sum = Pick<ColumnState, 'sum' | 'scaled'>

const MICROS_PER_DAY = 86_400_000_000n

function isoInstant (key: bigint, zone: number, type: ColumnType): string {
  const local = key + (zone === NAIVE ? 0n : BigInt(zone) * 60_000_000n)
  const day = local / MICROS_PER_DAY - (local % MICROS_PER_DAY < 0n ? 1n : 0n)
  const date = new Date(Number(day) * 86_400_000).toISOString().slice(0, 10)
  if (type === 'date') return date
  const micros = Number(local - day * MICROS_PER_DAY)
  const two = (n: number) => String(n).padStart(2, '0')
  const seconds = Math.floor(micros / 1e6)
  const fraction = micros % 1e6
  const time = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}` +
    (fraction === 0 ? '' : '.' + String(fraction).padStart(6, '0').replace(/0+$/, ''))
  const offset = zone === NAIVE ? '' : zone === 0 ? 'Z' : `${zone < 0 ? '-' : '+'}${two(Math.floor(Math.abs(zone) / 60))}:${two(Math.abs(zone) % 60)}`
  return `${date}T${time}${offset}`
}

function addSum ([sum, c]: [number, number], x: number): [number, number] {
  const t = sum + x
  return [t, c + (Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum)]
}

function addToSketch (sketch: Uint8Array, hashes: BigUint64Array, bits: number): void {
  // Each hash as two 32-bit halves (little-endian), without a BigInt per hash: the register is its top `bits`
  // bits, the rank one more than the leading zeros of the rest.
  const halves = new Uint32Array(hashes.buffer, hashes.byteOffset, hashes.length * 2)
  for (let k = 0; k < halves.length; k += 2) {
    const lo = halves[k]!
    const hi = halves[k + 1]!
    const restHi = ((hi << bits) | (lo >>> (32 - bits))) >>> 0
    const restLo = (lo << bits) >>> 0
    const rank = restHi !== 0 ? Math.clz32(restHi) + 1 : restLo !== 0 ? 33 + Math.clz32(restLo) : 65 - bits
    const index = hi >>> (32 - bits)
    if (rank > sketch[index]!) sketch[index] = rank
  }
}

function sketchOf (hashes: BigUint64Array, bits: number): Uint8Array {
  const sketch = new Uint8Array(1 << bits)
  addToSketch(sketch, hashes, bits)
  return sketch
}

/** 2^-r for every rank a register can hold: a sketch of 16,384 registers is summed without a power each. */
const INVERSE_POWERS = Float64Array.from({ length: 66 }, (_, r) => 2 ** -r)

/** HyperLogLog's estimate, with linear counting for small cardinalities (64-bit hashes need no large-range fix). */
function estimate (sketch: Uint8Array): number {
  const m = sketch.length
  let harmonic = 0
  let zeros = 0
  for (let i = 0; i < m; i++) {
    const r = sketch[i]!
    harmonic += INVERSE_POWERS[r]!
    if (r === 0) zeros++
  }
  const raw = 0.7213 / (1 + 1.079 / m) * m * m / harmonic
  return Math.round(raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw)
}

function emptyColumn (): ColumnState {
  return {
    values: 0,
    empty: 0,
    nulls: 0,
    kinds: 0,
    formats: 0n,
    numMin: Infinity,
    numMax: -Infinity,
    sum: [0, 0],
    scaled: false,
    dateMin: 0n,
    dateMax: 0n,
    dateMinZone: NAIVE,
    dateMaxZone: NAIVE,
    slash: Slash.monthFirst | Slash.dayFirst,
    monthFirst: [I64_MAX, I64_MIN],
    dayFirst: [I64_MAX, I64_MIN],
    decimal: Decimal.point | Decimal.comma,
    point: emptyPart(),
    comma: emptyPart(),
    lengthMin: 2 ** 31 - 1,
    lengthMax: -1,
    hashes: new BigUint64Array(0),
    sketch: undefined,
    samples: []
  }
}

function emptyPart (): MarkPart {
  return { kinds: 0, formats: 0n, min: Infinity, max: -Infinity, sum: [0, 0], scaled: false }
}
