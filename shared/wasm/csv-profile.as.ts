// AssemblyScript source of the column profiler: classifies, measures and hashes every field the scanner finds.
//
// Per column it keeps, in one fixed-size record (STRIDE bytes, offsets below): counts, the kinds and formats of
// the values seen, numeric min/max and sums, date min/max, lengths in code points, and the distinct values: an
// exact set of 64-bit hashes up to a bound, then a HyperLogLog sketch. The rules are documented in
// ../csv-profile.ts, which reads these records out; the slow path feeds the same functions one value at a time.

// ---- memory: a bump heap above the static data, with a free list per power-of-two size class

let heapTop: usize = 0
const FREE_LISTS: usize = memory.data(4 * 32, 4)

@inline function sizeClass (bytes: i32): i32 {
  return bytes <= 64 ? 6 : 32 - clz(bytes - 1)
}

/** A zeroed block of at least `bytes` bytes (rounded to a power of two), 16-byte aligned. */
function alloc (bytes: i32): usize {
  const cls = sizeClass(bytes)
  const size = 1 << cls
  const head = load<u32>(FREE_LISTS + (<usize>cls << 2))
  let p: usize
  if (head != 0) {
    p = <usize>head
    store<u32>(FREE_LISTS + (<usize>cls << 2), load<u32>(p))
  } else {
    if (heapTop == 0) heapTop = (__heap_base + 15) & ~15
    p = heapTop
    heapTop += <usize>size
    const pages = <i32>((heapTop + 0xffff) >> 16) - memory.size()
    if (pages > 0 && memory.grow(pages) < 0) unreachable()
  }
  memory.fill(p, 0, <usize>size)
  return p
}

function release (p: usize, bytes: i32): void {
  const slot = FREE_LISTS + (<usize>sizeClass(bytes) << 2)
  store<u32>(p, load<u32>(slot))
  store<u32>(slot, <u32>p)
}

// ---- what a value is

export const KIND_BOOLEAN: i32 = 1
export const KIND_INTEGER: i32 = 2
export const KIND_NUMBER: i32 = 4
export const KIND_DATE: i32 = 8
export const KIND_DATETIME: i32 = 16
export const KIND_STRING: i32 = 32

// Format bits: 0-29 datetime shapes (separator × seconds × zone), then the others (see FORMATS in ../csv-profile.ts).
const F_DATE: i64 = 1 << 30
const F_INTEGER: i64 = 1 << 31
const F_LEADING_ZERO: i64 = 1 << 32
const F_DECIMAL: i64 = 1 << 33
const F_EXPONENT: i64 = 1 << 34
const F_DECIMAL_COMMA: i64 = 1 << 35
const F_TRUE_LOWER: i64 = 1 << 36
const F_TRUE_TITLE: i64 = 1 << 37
const F_TRUE_UPPER: i64 = 1 << 38
const F_DOTTED_DATE: i64 = 1 << 39
const F_DOTTED_MINUTES: i64 = 1 << 40
const F_DOTTED_SECONDS: i64 = 1 << 41
const F_SLASH_DATE: i64 = 1 << 42
const F_SLASH_MINUTES: i64 = 1 << 43
const F_SLASH_SECONDS: i64 = 1 << 44
const F_SLASH_MINUTES_12H: i64 = 1 << 45
const F_SLASH_SECONDS_12H: i64 = 1 << 46
const F_GROUPS_COMMA: i64 = 1 << 47
const F_GROUPS_COMMA_POINT: i64 = 1 << 48
const F_GROUPS_POINT: i64 = 1 << 49
const F_GROUPS_POINT_COMMA: i64 = 1 << 50
const F_GROUPS_SPACE: i64 = 1 << 51
const F_GROUPS_SPACE_POINT: i64 = 1 << 52
const F_GROUPS_SPACE_COMMA: i64 = 1 << 53
const F_GROUPS_APOSTROPHE: i64 = 1 << 54
const F_GROUPS_APOSTROPHE_POINT: i64 = 1 << 55
const F_GROUPS_APOSTROPHE_COMMA: i64 = 1 << 56

/** The zone of a value without one. */
export const NAIVE: i32 = 100000

// ---- per-column records

const STRIDE: i32 = 304
const O_VALUES = 0
const O_EMPTY = 8
const O_NULLS = 16
const O_FORMATS = 24
const O_NUM_MIN = 32
const O_NUM_MAX = 40
const O_SUM = 48
const O_SUM_C = 56
/** 1 once the sums are scaled by 2^-64 (see addNumber). */
const O_SCALED = 64
/** Which decimal marks the column's numbers may still be read with (POINT, COMMA), and PREFER_COMMA. */
const O_DECIMAL = 72
const O_DATE_MIN = 80
const O_DATE_MAX = 88
const O_KINDS = 96
const O_LEN_MIN = 100
const O_LEN_MAX = 104
const O_DATE_MIN_ZONE = 108
const O_DATE_MAX_ZONE = 112
const O_SET = 116
const O_SET_COUNT = 120
const O_SET_SLOTS = 124
const O_HLL = 128
const O_SAMPLES = 132
/** The last date's first 8 bytes ("YYYY-MM-"), with that month's first day (days from 1970) and its length. */
const O_MONTH_KEY = 136
const O_MONTH_START = 144
const O_MONTH_DAYS = 148
/** Which readings fit every date with slashes so far (SLASH_MONTH_FIRST, SLASH_DAY_FIRST), and each reading's range. */
const O_SLASH = 152
const O_MONTH_FIRST_MIN = 160
const O_MONTH_FIRST_MAX = 168
const O_DAY_FIRST_MIN = 176
const O_DAY_FIRST_MAX = 184
const SLASH_MONTH_FIRST: i32 = 1
const SLASH_DAY_FIRST: i32 = 2
/**
 * What the values each reading of the decimal mark reads otherwise (1,234 and 1.234) add, kept apart until the
 * column decides: a part per reading, laid out as the record is from O_FORMATS to O_SCALED (formats, range, sum,
 * compensation, scale), so that addValue(part - O_FORMATS, ...) adds to it; then the kinds (i32) at PART_KINDS.
 */
const O_POINT_PART = 192
const O_COMMA_PART = 248
const PART_KINDS = 48
/** Decimal marks: a point (1,234.5), a comma (1.234,5); and which one a column both fit reads (else the point). */
export const POINT: i32 = 1
export const COMMA: i32 = 2
export const PREFER_COMMA: i32 = 4
/** Marks that only group thousands, as markedNumber reads them: a space (U+0020, U+00A0, U+202F), an apostrophe (', U+2019). */
const SPACE: i32 = 0x20
const APOSTROPHE: i32 = 0x27

/**
 * Bytes the exact sets and the sketches of all columns may take together. Kept small enough for the caches: every
 * field touches its column's set or sketch at random, and a wide file's tables would otherwise miss on each (500
 * columns profiled 2-3x faster with these than with 8 MiB and 2 MiB). Up to 16 columns neither is cut.
 */
const SET_BUDGET: i32 = 2 << 20
const SKETCH_BUDGET: i32 = 1 << 20
const EXACT_MAX: i32 = 10000
const SAMPLE_MAX: i32 = 5

let columns: usize = 0
let columnLimit: i32 = 0
let maxSlots: i32 = 16384
let exactBound: i32 = EXACT_MAX
let hllBits: i32 = 14
let sampleList: usize = 0
let pendingSamples: i32 = 0
/** The decimal marks a new column may read (see O_DECIMAL): set per file by its delimiter. */
let decimalMarks: i32 = POINT

let columnCapacity: i32 = 0
let sampleCapacity: i32 = 0

/**
 * Starts a profile of at most `limit` columns (their records are allocated as fields reach them), freeing the last
 * one; `marks`: the decimal marks (POINT, COMMA, PREFER_COMMA) its numbers may be read with.
 */
export function profileInit (limit: i32, marks: i32): void {
  decimalMarks = marks
  // The heap starts over: an instance can profile one file (or piece) after another.
  heapTop = 0
  memory.fill(FREE_LISTS, 0, 4 * 32)
  scratch = 0
  scratchSize = 0
  valueBuffer = 0
  valueBufferSize = 0
  maxSlots = 16384
  exactBound = EXACT_MAX
  hllBits = 14
  columnLimit = limit
  columnCapacity = 0
  columns = 0
  sampleCapacity = 64
  sampleList = alloc(sampleCapacity * 16)
  pendingSamples = 0
}

/** Makes room for column `col` and those before it, doubling the records' block. */
function growColumns (col: i32): void {
  const capacity = min(columnLimit, max(16, max(col + 1, columnCapacity * 2)))
  const next = alloc(capacity * STRIDE)
  if (columns != 0) {
    memory.copy(next, columns, <usize>(columnCapacity * STRIDE))
    release(columns, columnCapacity * STRIDE)
  }
  for (let c = columnCapacity; c < capacity; c++) {
    const s = next + <usize>(c * STRIDE)
    store<f64>(s + O_NUM_MIN, Infinity)
    store<f64>(s + O_NUM_MAX, -Infinity)
    store<i64>(s + O_DATE_MIN, i64.MAX_VALUE)
    store<i64>(s + O_DATE_MAX, i64.MIN_VALUE)
    store<i32>(s + O_LEN_MIN, i32.MAX_VALUE)
    store<i32>(s + O_LEN_MAX, -1)
    store<i32>(s + O_SLASH, SLASH_MONTH_FIRST | SLASH_DAY_FIRST)
    store<i32>(s + O_DECIMAL, decimalMarks)
    for (let part = s + O_POINT_PART; part <= s + O_COMMA_PART; part += O_COMMA_PART - O_POINT_PART) {
      store<f64>(part - O_FORMATS + O_NUM_MIN, Infinity)
      store<f64>(part - O_FORMATS + O_NUM_MAX, -Infinity)
    }
    store<i64>(s + O_MONTH_FIRST_MIN, i64.MAX_VALUE)
    store<i64>(s + O_MONTH_FIRST_MAX, i64.MIN_VALUE)
    store<i64>(s + O_DAY_FIRST_MIN, i64.MAX_VALUE)
    store<i64>(s + O_DAY_FIRST_MAX, i64.MIN_VALUE)
  }
  columns = next
  columnCapacity = capacity
}

function growSamples (): void {
  const next = alloc(sampleCapacity * 32)
  memory.copy(next, sampleList, <usize>(sampleCapacity * 16))
  release(sampleList, sampleCapacity * 16)
  sampleList = next
  sampleCapacity *= 2
}

/** Sizes the distinct counters once the number of columns is known: a share of the budgets each. */
export function profileColumns (count: i32): void {
  if (count > columnCapacity && count <= columnLimit) growColumns(count - 1)
  const columns = max(count, 1)
  hllBits = min(14, max(10, 31 - clz(SKETCH_BUDGET / columns)))
  maxSlots = min(16384, max(16, 1 << (31 - clz(max(SET_BUDGET / 8 / columns, 1)))))
  exactBound = min(EXACT_MAX, (maxSlots * 5) >> 3)
}

export function columnsBase (): usize { return columns }
export function columnStride (): i32 { return STRIDE }
export function distinctBound (): i32 { return exactBound }
export function sketchBits (): i32 { return hllBits }
export function samplesBase (): usize { return sampleList }
/** Samples found since the last call: entries of (column, address, bytes, escaped) as i32. */
export function takeSamples (): i32 { const n = pendingSamples; pendingSamples = 0; return n }

// ---- one field

/** Where a quoted field with doubled quotes is copied unescaped (allocated when first needed, grown to fit). */
let scratch: usize = 0
let scratchSize: i32 = 0

/**
 * Profiles the value at [p, p + n) of column `col`; `escaped` when it is a quoted field's content holding doubled
 * quotes (`quote` is the quote byte). A new distinct value joins the sample list as the raw field's address.
 */
export function profileField (col: i32, p: usize, n: i32, escaped: bool, quote: i32): void {
  if (col >= columnCapacity) {
    if (col >= columnLimit) return
    growColumns(col)
  }
  const s = columns + <usize>(col * STRIDE)
  if (n == 0) {
    store<i64>(s + O_EMPTY, load<i64>(s + O_EMPTY) + 1)
    return
  }
  const raw = p
  const rawLength = n
  if (escaped) {
    if (n + 16 > scratchSize) {
      if (scratch != 0) release(scratch, scratchSize)
      scratchSize = 1 << (32 - clz(max(n + 16, 4096) - 1))
      scratch = alloc(scratchSize)
    }
    n = unescape(p, n, quote)
    p = scratch
  }
  if (n <= 4 && isNullToken(p, n)) {
    store<i64>(s + O_NULLS, load<i64>(s + O_NULLS) + 1)
    return
  }
  store<i64>(s + O_VALUES, load<i64>(s + O_VALUES) + 1)
  const kinds = load<i32>(s + O_KINDS)
  const seen = addDistinct(s, hash(p, n))
  // A value met before already counts in the kinds, formats, ranges and lengths; only a number's sum needs it again.
  if (seen == SEEN && (kinds & (KIND_INTEGER | KIND_NUMBER)) == 0) return
  if ((kinds & KIND_STRING) == 0) store<i32>(s + O_KINDS, widen(kinds | classify(s, p, n)))
  const length = codePoints(p, n)
  if (length < load<i32>(s + O_LEN_MIN)) store<i32>(s + O_LEN_MIN, length)
  if (length > load<i32>(s + O_LEN_MAX)) store<i32>(s + O_LEN_MAX, length)
  if (seen == NEW && load<i32>(s + O_SAMPLES) < SAMPLE_MAX) {
    store<i32>(s + O_SAMPLES, load<i32>(s + O_SAMPLES) + 1)
    if (pendingSamples == sampleCapacity) growSamples()
    const e = sampleList + (<usize>pendingSamples << 4)
    store<i32>(e, col)
    store<i32>(e, <i32>raw, 4)
    store<i32>(e, rawLength, 8)
    store<i32>(e, escaped ? 1 : 0, 12)
    pendingSamples++
  }
}

function unescape (p: usize, n: i32, quote: i32): i32 {
  let out = scratch
  const end = p + <usize>n
  while (p < end) {
    const c = <i32>load<u8>(p)
    store<u8>(out++, <u8>c)
    p += c == quote ? 2 : 1
  }
  return <i32>(out - scratch)
}

/** Kinds from more than one family (boolean; integer and number; date and datetime) make a string column. */
@inline function widen (kinds: i32): i32 {
  const families = (kinds & KIND_BOOLEAN) + ((kinds & (KIND_INTEGER | KIND_NUMBER)) != 0 ? 1 : 0) + ((kinds & (KIND_DATE | KIND_DATETIME)) != 0 ? 1 : 0)
  return families > 1 ? kinds | KIND_STRING : kinds
}

/** NA, N/A, NULL, null, NaN, None, - (exactly). */
@inline function isNullToken (p: usize, n: i32): bool {
  if (n == 1) return load<u8>(p) == 0x2d
  if (n == 2) return load<u16>(p) == 0x414e // "NA"
  if (n == 3) {
    const w = <u32>load<u16>(p) | (<u32>load<u8>(p, 2) << 16)
    return w == 0x412f4e || w == 0x4e614e // "N/A", "NaN"
  }
  const w = load<u32>(p)
  return w == 0x4c4c554e || w == 0x6c6c756e || w == 0x656e6f4e // "NULL", "null", "None"
}

/** Code points of UTF-8 text: bytes that are not continuation bytes, 16 at a time (the buffers are padded). */
@inline function codePoints (p: usize, n: i32): i32 {
  let continuation = 0
  const limit = i8x16.splat(-64)
  for (let i = 0; i < n; i += 16) {
    let mask = i8x16.bitmask(i8x16.lt_s(v128.load(p + <usize>i), limit))
    if (n - i < 16) mask &= (1 << (n - i)) - 1
    continuation += popcnt(mask)
  }
  return n - continuation
}

// ---- hashing: 64-bit, a word at a time (MurmurHash3's mixing), over the unescaped bytes

@inline function mixWord (h: u64, w: u64): u64 {
  w *= 0x87c37b91114253d5
  w = rotl(w, 31)
  w *= 0x4cf5ad432745937f
  h ^= w
  return rotl(h, 27) * 5 + 0x52dce729
}

@inline function finalMix (h: u64): u64 {
  h ^= h >> 33
  h *= 0xff51afd7ed558ccd
  h ^= h >> 33
  h *= 0xc4ceb9fe1a85ec53
  return h ^ (h >> 33)
}

function hash (p: usize, n: i32): u64 {
  // Up to 8 bytes: the bytes and the length in one word, mixed by a bijection (text has no NUL byte, so no two
  // values share a word).
  if (n <= 8) return finalMix((load<u64>(p) & (<u64>-1 >> <u64>((8 - n) << 3))) ^ (<u64>n << 56))
  let h: u64 = 0x9e3779b97f4a7c15
  let i = 0
  for (; i + 8 < n; i += 8) h = mixWord(h, load<u64>(p + <usize>i))
  // The last word ends at the value's end (it may overlap the one before).
  h = mixWord(h, load<u64>(p + <usize>(n - 8)))
  return finalMix(h ^ <u64>n)
}

// ---- distinct values: an open-addressing set of hashes, then HyperLogLog

/** What `addDistinct` knows of a value: new, met before, or not known once the column counts in a sketch. */
const NEW: i32 = 1
const SEEN: i32 = 0
const UNKNOWN: i32 = -1

/** Adds a hash; NEW or SEEN while the set is exact, UNKNOWN once the sketch counts. */
function addDistinct (s: usize, h: u64): i32 {
  const sketch = <usize>load<u32>(s + O_HLL)
  if (sketch != 0) {
    addToSketch(sketch, h)
    return UNKNOWN
  }
  if (h == 0) h = 1
  let set = <usize>load<u32>(s + O_SET)
  let slots = load<i32>(s + O_SET_SLOTS)
  if (set == 0) {
    slots = 16
    set = alloc(slots << 3)
    store<u32>(s + O_SET, <u32>set)
    store<i32>(s + O_SET_SLOTS, slots)
  }
  const mask = slots - 1
  let i = <i32>h & mask
  for (;;) {
    const at = set + (<usize>i << 3)
    const v = load<u64>(at)
    if (v == h) return SEEN
    if (v == 0) {
      store<u64>(at, h)
      break
    }
    i = (i + 1) & mask
  }
  const count = load<i32>(s + O_SET_COUNT) + 1
  store<i32>(s + O_SET_COUNT, count)
  if (count > exactBound) toSketch(s, set, slots)
  else if (count * 8 > slots * 5 && slots < maxSlots) grow(s, set, slots)
  return NEW
}

function grow (s: usize, set: usize, slots: i32): void {
  const larger = slots << 1
  const next = alloc(larger << 3)
  const mask = larger - 1
  for (let k = 0; k < slots; k++) {
    const h = load<u64>(set + (<usize>k << 3))
    if (h == 0) continue
    let i = <i32>h & mask
    while (load<u64>(next + (<usize>i << 3)) != 0) i = (i + 1) & mask
    store<u64>(next + (<usize>i << 3), h)
  }
  release(set, slots << 3)
  store<u32>(s + O_SET, <u32>next)
  store<i32>(s + O_SET_SLOTS, larger)
}

function toSketch (s: usize, set: usize, slots: i32): void {
  const sketch = alloc(1 << hllBits)
  for (let k = 0; k < slots; k++) {
    const h = load<u64>(set + (<usize>k << 3))
    if (h != 0) addToSketch(sketch, h)
  }
  release(set, slots << 3)
  store<u32>(s + O_SET, 0)
  store<i32>(s + O_SET_SLOTS, 0)
  store<u32>(s + O_HLL, <u32>sketch)
}

@inline function addToSketch (sketch: usize, h: u64): void {
  const index = <usize>(h >> <u64>(64 - hllBits))
  const rest = h << <u64>hllBits
  const rank = <u8>(rest == 0 ? 65 - hllBits : <i32>clz(rest) + 1)
  if (rank > load<u8>(sketch + index)) store<u8>(sketch + index, rank)
}

// ---- classification: what the value is, and its number or instant

@external('env', 'parseNumber')
declare function parseNumber (p: usize, n: i32, comma: bool): f64

const POW10: usize = memory.data<f64>([1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22])

// SWAR: eight bytes at once in a u64 (the first byte lowest). XOR with a pattern turns its digit bytes into 0-9 and
// its punctuation into 0; then every byte is at most 9 exactly when no byte sets the high bit of itself + 0x76.
const HIGH_BITS: u64 = 0x8080808080808080
/** "0000-00-": a date's first eight bytes. */
const DATE_PATTERN: u64 = 0x2d30302d30303030
const DATE_DASHES: u64 = 0xff0000ff00000000
/** "00T00:00": the day, the separator and the hour and minute. */
const TIME_PATTERN: u64 = 0x30303a3030543030
const TIME_COLON: u64 = 0x0000ff0000000000
/** The separator's byte in x when it is a space instead of T ('T' ^ ' '). */
const SPACE_SEPARATOR: u64 = 0x0000000000740000

@inline function allDigits (x: u64): bool { return (((x + 0x7676767676767676) | x) & HIGH_BITS) == 0 }
@inline function digitPair (x: u64, at: u64): i32 { return <i32>((x >> at) & 0xf) * 10 + <i32>((x >> (at + 8)) & 0xf) }

@inline function digit (c: i32): bool { return <u32>(c - 0x30) < 10 }
@inline function byteAt (p: usize, i: i32): i32 { return <i32>load<u8>(p + <usize>i) }

/** The kind of a non-null value; updates the column's formats, and its numbers or instants. */
function classify (s: usize, p: usize, n: i32): i32 {
  const c0 = byteAt(p, 0)
  if (digit(c0) || c0 == 0x2d || c0 == 0x2b || c0 == 0x2e) {
    if (n >= 10 && byteAt(p, 4) == 0x2d && digit(c0)) return dateTime(s, p, n)
    if (n >= 10 && byteAt(p, 2) == 0x2e && byteAt(p, 5) == 0x2e) return dottedDateTime(s, p, n)
    if (n >= 8 && (byteAt(p, 1) == 0x2f || byteAt(p, 2) == 0x2f)) return slashDateTime(s, p, n)
    return number(s, p, n)
  }
  if (n == 4 || n == 5) return boolean(s, p, n)
  return KIND_STRING
}

function boolean (s: usize, p: usize, n: i32): i32 {
  const w = load<u32>(p)
  let format: i64 = 0
  if (n == 4) {
    if (w == 0x65757274) format = F_TRUE_LOWER // true
    else if (w == 0x65757254) format = F_TRUE_TITLE // True
    else if (w == 0x45555254) format = F_TRUE_UPPER // TRUE
  } else {
    const e = byteAt(p, 4)
    if (w == 0x736c6166 && e == 0x65) format = F_TRUE_LOWER // false
    else if (w == 0x736c6146 && e == 0x65) format = F_TRUE_TITLE // False
    else if (w == 0x534c4146 && e == 0x45) format = F_TRUE_UPPER // FALSE
  }
  if (format == 0) return KIND_STRING
  store<i64>(s + O_FORMATS, load<i64>(s + O_FORMATS) | format)
  return KIND_BOOLEAN
}

/** The value of eight digits 0-9, one per byte of `x`, the first byte the most significant. */
@inline function eightDigits (x: u64): u64 {
  x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ff
  x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffff
  return (x * 10000 + (x >> 32)) & 0xffffffff
}

/**
 * Up to 8 bytes of digits around one decimal `mark` inside them (`x`: the bytes XOR '0'), read at once where the
 * column reads that mark: false, for the full readers, when they are not such digits, or the column may read the
 * other mark and they may be grouped thousands (1.234, 1,234).
 */
@inline function shortDecimal (s: usize, x: u64, n: i32, mark: i32): bool {
  // The mark is the first zero byte of z: '.' ^ '0' is 0x1e, ',' ^ '0' is 0x1c.
  const z = x ^ (mark == POINT ? 0x1e1e1e1e1e1e1e1e : 0x1c1c1c1c1c1c1c1c)
  const dot = <i32>ctz((z - 0x0101010101010101) & ~z & HIGH_BITS) >> 3
  const marks = load<i32>(s + O_DECIMAL)
  if (dot < 1 || dot >= n - 1 || (marks & mark) == 0) return false
  const other = (POINT | COMMA) & ~mark
  if ((marks & other) != 0 && dot == n - 4 && dot <= 3 && (x & 0xff) != 0) return false
  const below: u64 = (<u64>1 << (<u64>dot << 3)) - 1
  const digits = ((x & below) | ((x >> 8) & ~below)) << (<u64>(9 - n) << 3)
  if (!allDigits(digits)) return false
  if ((marks & other) != 0) store<i32>(s + O_DECIMAL, marks & ~other)
  addValue(s, <f64>eightDigits(digits) / load<f64>(POW10 + (<usize>(n - 1 - dot) << 3)), mark == POINT ? F_DECIMAL : F_DECIMAL_COMMA)
  return true
}

/**
 * [sign] digits [. digits] [e [sign] digits], or [sign] . digits [...]: read here, the common case; numbers with a
 * comma, or a point that may group thousands, are read by markedNumber. A number a double cannot hold is a string.
 */
function number (s: usize, p: usize, n: i32): i32 {
  // Up to 8 bytes of digits, or of digits around one point inside them, read at once (the buffers are padded).
  if (n <= 8) {
    const x = load<u64>(p) ^ 0x3030303030303030
    const aligned = x << (<u64>(8 - n) << 3)
    if (allDigits(aligned)) {
      const format = n > 1 && (x & 0xff) == 0 ? F_LEADING_ZERO : F_INTEGER
      addValue(s, <f64>eightDigits(aligned), format)
      return KIND_INTEGER
    }
    if (shortDecimal(s, x, n, POINT) || ((load<i32>(s + O_DECIMAL) & COMMA) != 0 && shortDecimal(s, x, n, COMMA))) return KIND_NUMBER
  }
  let i = 0
  const negative = byteAt(p, 0) == 0x2d
  if (negative || byteAt(p, 0) == 0x2b) i = 1
  let mantissa: u64 = 0
  let significant = 0
  let scale = 0
  const intStart = i
  while (i < n && byteAt(p, i) == 0x30) i++
  for (; i < n; i++) {
    const d = byteAt(p, i) - 0x30
    if (<u32>d >= 10) break
    if (significant < 19) mantissa = mantissa * 10 + <u64>d
    else scale++
    significant++
  }
  const intDigits = i - intStart
  let format: i64
  let kind: i32
  if (i == n) {
    if (intDigits == 0) return KIND_STRING
    format = intDigits > 1 && byteAt(p, intStart) == 0x30 ? F_LEADING_ZERO : F_INTEGER
    kind = KIND_INTEGER
  } else {
    format = 0
    const c = byteAt(p, i)
    // A comma; or after one to three digits, what may group thousands: a space (U+0020, U+00A0, U+202F) or an apostrophe (', U+2019).
    if (c == 0x2c || (intDigits <= 3 && (c == 0x20 || c == 0x27 || c == 0xc2 || c == 0xe2))) return markedNumber(s, p, n)
    if (byteAt(p, i) == 0x2e) {
      i++
      const fracStart = i
      while (i < n && digit(byteAt(p, i))) {
        const d = byteAt(p, i) - 0x30
        if (significant > 0 || d != 0) {
          if (significant < 19) {
            mantissa = mantissa * 10 + <u64>d
            scale--
          }
          significant++
        } else {
          scale--
        }
        i++
      }
      const fracDigits = i - fracStart
      if (intDigits + fracDigits == 0) return KIND_STRING
      const marks = load<i32>(s + O_DECIMAL)
      // 1.234.567 and 1.234,5 group thousands; so may 1.234, where the column may read a comma.
      if (i < n && (byteAt(p, i) == 0x2e || byteAt(p, i) == 0x2c)) return markedNumber(s, p, n)
      if ((marks & COMMA) != 0 && i == n && fracDigits == 3 && intDigits <= 3 && byteAt(p, intStart) != 0x30) return markedNumber(s, p, n)
      // A point is the decimal mark: a column that may read only a comma makes it a string.
      if ((marks & POINT) == 0) return KIND_STRING
      if ((marks & COMMA) != 0) store<i32>(s + O_DECIMAL, marks & ~COMMA)
      format = F_DECIMAL
    } else if (intDigits == 0) {
      return KIND_STRING
    }
    if (i < n && (byteAt(p, i) | 0x20) == 0x65) {
      const exponent = exponentAt(p, n, i + 1)
      if (exponent == NO_EXPONENT) return KIND_STRING
      scale += exponent
      format = F_EXPONENT
      i = exponentEnd
    }
    if (i != n) return KIND_STRING
    kind = KIND_NUMBER
  }
  const value = numberValue(p, n, mantissa, significant, scale, false)
  if (!isFinite(value)) return KIND_STRING
  addValue(s, negative ? -value : value, format)
  return kind
}

/**
 * A number with a comma, with a point that may group thousands, or with thousands grouped by spaces or apostrophes,
 * as each decimal mark the column may still read reads it: with a point, 1,234,567.5 (commas grouping thousands);
 * with a comma, 1,5 and 1.234.567,5; with either, 1 234 567 (or 1'234'567) then that mark and digits. Grouped
 * thousands: one to three digits, not from 0, then groups of three, one grouping mark throughout, and no exponent.
 * A value one mark alone reads leaves the column that mark; 1,234 and 1.234 fit both, as different numbers, and
 * count in each mark's part until the column decides (csv-profile.ts). A number a double cannot hold, or that no
 * mark left reads, is a string.
 */
function markedNumber (s: usize, p: usize, n: i32): i32 {
  let i = 0
  const negative = byteAt(p, 0) == 0x2d
  if (negative || byteAt(p, 0) == 0x2b) i = 1
  const start = i
  let mantissa: u64 = 0
  let significant = 0
  let dropped = 0
  // The runs of digits between marks (',', '.', SPACE or APOSTROPHE): the first run's length, the first and last
  // marks, the last run's length, and whether each run between two marks has three digits after a mark like the first.
  let run = 0
  let firstRun = 0
  let marks = 0
  let firstMark = 0
  let lastMark = 0
  let groups = true
  for (; i < n; i++) {
    const c = byteAt(p, i)
    const d = c - 0x30
    if (<u32>d < 10) {
      if (significant > 0 || d != 0) {
        if (significant < 19) mantissa = mantissa * 10 + <u64>d
        else dropped++
        significant++
      }
      run++
      continue
    }
    let mark = c
    if (c == 0x20 || (c == 0xc2 && i + 1 < n && byteAt(p, i + 1) == 0xa0)) {
      mark = SPACE
      i += c == 0x20 ? 0 : 1
    } else if (c == 0xe2 && i + 2 < n && byteAt(p, i + 1) == 0x80 && (byteAt(p, i + 2) == 0xaf || byteAt(p, i + 2) == 0x99)) {
      mark = byteAt(p, i + 2) == 0xaf ? SPACE : APOSTROPHE
      i += 2
    } else if (c != 0x2c && c != 0x2e && c != APOSTROPHE) {
      break
    }
    if (marks == 0) {
      firstRun = run
      firstMark = mark
    } else if (run != 3 || lastMark != firstMark) {
      groups = false
    }
    lastMark = mark
    marks++
    run = 0
  }
  // number() hands over only values with a mark after their first digits: none read means a byte that is not one.
  if (marks == 0) return KIND_STRING
  const lastRun = run
  const exponential = i < n && (byteAt(p, i) | 0x20) == 0x65
  const exponent = exponential ? exponentAt(p, n, i + 1) : 0
  if (exponent == NO_EXPONENT || (exponential ? exponentEnd : i) != n) return KIND_STRING
  // Which marks read it: as thousands grouped by its first mark (maybe then the other mark, decimal), or as one
  // decimal mark (a comma, unlike a point, needs digits on both sides: 5, and ,5 are strings).
  let fits = 0
  const decimalGroups = firstMark == 0x2c || firstMark == 0x2e
  if (groups && !exponential && firstRun >= 1 && firstRun <= 3 && byteAt(p, start) != 0x30) {
    // Grouped by a comma (a point the decimal mark) or a point (a comma), or by a space or an apostrophe (either,
    // or the one after the groups).
    if (lastMark == firstMark) fits = lastRun != 3 ? 0 : firstMark == 0x2c ? POINT : firstMark == 0x2e ? COMMA : POINT | COMMA
    else if (lastRun > 0 && lastMark != SPACE && lastMark != APOSTROPHE) fits = lastMark == 0x2e ? POINT : COMMA
  }
  if (marks == 1 && firstMark == 0x2e && firstRun + lastRun > 0) fits |= POINT
  if (marks == 1 && firstMark == 0x2c && firstRun > 0 && lastRun > 0) fits |= COMMA
  const column = load<i32>(s + O_DECIMAL)
  fits &= column
  if (fits == 0) return KIND_STRING
  if (fits == (POINT | COMMA) && decimalGroups) {
    // 1,234 or 1.234 (at most six digits: exact either way), while the column may read either mark.
    const point = <f64>mantissa / (lastMark == 0x2e ? 1000 : 1)
    const comma = <f64>mantissa / (lastMark == 0x2c ? 1000 : 1)
    addToPart(s + O_POINT_PART, negative ? -point : point, lastMark == 0x2e ? KIND_NUMBER : KIND_INTEGER, lastMark == 0x2e ? F_DECIMAL : F_GROUPS_COMMA)
    addToPart(s + O_COMMA_PART, negative ? -comma : comma, lastMark == 0x2c ? KIND_NUMBER : KIND_INTEGER, lastMark == 0x2c ? F_DECIMAL_COMMA : F_GROUPS_POINT)
    // Numeric either way: the kind the rest of the column sees (the parts hold each mark's).
    return KIND_INTEGER
  }
  if (fits != (column & (POINT | COMMA))) store<i32>(s + O_DECIMAL, (column & PREFER_COMMA) | fits)
  // The decimal mark read (a point where either is: then there is none).
  const mark = fits == COMMA ? 0x2c : 0x2e
  const fraction = lastMark == mark ? lastRun : 0
  const value = numberValue(p, n, mantissa, significant, dropped - fraction + exponent, mark == 0x2c)
  if (!isFinite(value)) return KIND_STRING
  let format: i64
  if (firstMark == mark) format = exponential ? F_EXPONENT : mark == 0x2e ? F_DECIMAL : F_DECIMAL_COMMA
  else if (firstMark == SPACE) format = fraction == 0 ? F_GROUPS_SPACE : mark == 0x2e ? F_GROUPS_SPACE_POINT : F_GROUPS_SPACE_COMMA
  else if (firstMark == APOSTROPHE) format = fraction == 0 ? F_GROUPS_APOSTROPHE : mark == 0x2e ? F_GROUPS_APOSTROPHE_POINT : F_GROUPS_APOSTROPHE_COMMA
  else if (mark == 0x2e) format = fraction > 0 ? F_GROUPS_COMMA_POINT : F_GROUPS_COMMA
  else format = fraction > 0 ? F_GROUPS_POINT_COMMA : F_GROUPS_POINT
  addValue(s, negative ? -value : value, format)
  return firstMark == mark || fraction > 0 ? KIND_NUMBER : KIND_INTEGER
}

/** Where the exponent exponentAt read ends. */
let exponentEnd = 0
const NO_EXPONENT: i32 = i32.MIN_VALUE

/** The exponent [+-]digits at `i`, after an e or E (at most 100,000 in size); NO_EXPONENT when no digit follows. */
function exponentAt (p: usize, n: i32, i: i32): i32 {
  const negative = i < n && byteAt(p, i) == 0x2d
  if (i < n && (negative || byteAt(p, i) == 0x2b)) i++
  const start = i
  let exponent = 0
  while (i < n && digit(byteAt(p, i))) {
    if (exponent < 100000) exponent = exponent * 10 + byteAt(p, i) - 0x30
    i++
  }
  if (i == start) return NO_EXPONENT
  exponentEnd = i
  return negative ? -exponent : exponent
}

/**
 * The magnitude of `mantissa` (its first 19 significant digits of `significant`) times 10^scale; past the exact fast
 * path, JavaScript's parse of the text (read with a decimal comma where `comma`).
 */
@inline function numberValue (p: usize, n: i32, mantissa: u64, significant: i32, scale: i32, comma: bool): f64 {
  if (mantissa == 0) return 0
  if (significant <= 15 && scale >= -22 && scale <= 22) {
    // Exact: both factors are exact doubles, so one rounding gives the correctly rounded value (Clinger).
    const m = <f64>mantissa
    return scale >= 0 ? m * load<f64>(POW10 + (<usize>scale << 3)) : m / load<f64>(POW10 + (<usize>(-scale) << 3))
  }
  return Math.abs(parseNumber(p, n, comma))
}

@inline function addValue (s: usize, value: f64, format: i64): void {
  store<i64>(s + O_FORMATS, load<i64>(s + O_FORMATS) | format)
  if (value < load<f64>(s + O_NUM_MIN)) store<f64>(s + O_NUM_MIN, value)
  if (value > load<f64>(s + O_NUM_MAX)) store<f64>(s + O_NUM_MAX, value)
  addNumber(s, value)
}

/** Adds a number one decimal mark reads so (and the other not) to that mark's part. */
function addToPart (part: usize, value: f64, kind: i32, format: i64): void {
  addValue(part - O_FORMATS, value, format)
  store<i32>(part + PART_KINDS, load<i32>(part + PART_KINDS) | kind)
}

const TWO_TO_MINUS_64: f64 = 5.421010862427522e-20

/**
 * Neumaier's compensated sum of the column's numbers. When it would overflow, the column's sum (and every number
 * after) is scaled by 2^-64 from then on (O_SCALED is 1), which no file can overflow.
 */
@inline function addNumber (s: usize, x: f64): void {
  let sum = load<f64>(s + O_SUM)
  let c = load<f64>(s + O_SUM_C)
  if (load<f64>(s + O_SCALED) != 0) x *= TWO_TO_MINUS_64
  let t = sum + x
  if (!isFinite(t)) {
    store<f64>(s + O_SCALED, 1)
    sum *= TWO_TO_MINUS_64
    c *= TWO_TO_MINUS_64
    x *= TWO_TO_MINUS_64
    t = sum + x
  }
  c += Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum
  store<f64>(s + O_SUM, t)
  store<f64>(s + O_SUM_C, c)
}

@inline function twoDigits (p: usize, i: i32): i32 {
  const a = byteAt(p, i) - 0x30
  const b = byteAt(p, i + 1) - 0x30
  return <u32>a < 10 && <u32>b < 10 ? a * 10 + b : -1
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's days_from_civil). */
@inline function days (y: i32, m: i32, d: i32): i64 {
  if (m <= 2) y--
  const era = y / 400
  const yoe = y - era * 400
  const doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
  return <i64>(era * 146097 + doe - 719468)
}

@inline function daysInMonth (year: i32, month: i32): i32 {
  const leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
  return month == 2 ? (leap ? 29 : 28) : (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31
}

/** One or two digits at `i`: their value times 4 plus how many there are, or -1. */
@inline function oneOrTwoDigits (p: usize, n: i32, i: i32): i32 {
  if (i >= n || !digit(byteAt(p, i))) return -1
  const first = byteAt(p, i) - 0x30
  if (i + 1 < n && digit(byteAt(p, i + 1))) return ((first * 10 + byteAt(p, i + 1) - 0x30) << 2) | 2
  return (first << 2) | 1
}

/** How the last clockTime read was written: with seconds, and with AM or PM. */
let clockSeconds = false
let clockMeridiem = false

/**
 * The time of day in microseconds of a space and H:MM[:SS] (one or two digits for the hour), then, where `meridiem`,
 * maybe a space and AM or PM (either case; the hour then 1-12), from `i` to `n`; or -1.
 */
function clockTime (p: usize, n: i32, i: i32, meridiem: bool): i64 {
  const h = oneOrTwoDigits(p, n, i + 1)
  if (byteAt(p, i) != 0x20 || h < 0) return -1
  i += 1 + (h & 3)
  let hour = h >> 2
  const minute = twoDigits(p, i + 1)
  if (i + 3 > n || byteAt(p, i) != 0x3a || minute < 0 || minute > 59) return -1
  i += 3
  let second = 0
  clockSeconds = i < n && byteAt(p, i) == 0x3a
  if (clockSeconds) {
    second = twoDigits(p, i + 1)
    if (i + 3 > n || second < 0 || second > 59) return -1
    i += 3
  }
  clockMeridiem = meridiem && i < n
  if (clockMeridiem) {
    // 12 AM is midnight, 12 PM noon.
    const m = byteAt(p, i + 1) | 0x20
    if (i + 3 != n || byteAt(p, i) != 0x20 || (m != 0x61 && m != 0x70) || (byteAt(p, i + 2) | 0x20) != 0x6d || hour < 1 || hour > 12) return -1
    hour = hour % 12 + (m == 0x70 ? 12 : 0)
    i += 3
  }
  if (i != n || hour > 23) return -1
  return (<i64>(hour * 60 + minute) * 60 + <i64>second) * 1000000
}

/**
 * DD.MM.YYYY, or that with a space and H:MM[:SS] (no zone): the day-first dates German, Austrian, Swiss, Nordic,
 * Polish, Czech or Russian exports write, where dots always put the day first (unlike slashes, which may not).
 */
function dottedDateTime (s: usize, p: usize, n: i32): i32 {
  const day = twoDigits(p, 0)
  const month = twoDigits(p, 3)
  const century = twoDigits(p, 6)
  const years = twoDigits(p, 8)
  if (day < 1 || month < 1 || month > 12 || century < 0 || years < 0) return KIND_STRING
  const year = century * 100 + years
  if (day > daysInMonth(year, month)) return KIND_STRING
  const time = n == 10 ? 0 : clockTime(p, n, 10, false)
  if (time < 0) return KIND_STRING
  store<i64>(s + O_FORMATS, load<i64>(s + O_FORMATS) | (n == 10 ? F_DOTTED_DATE : clockSeconds ? F_DOTTED_SECONDS : F_DOTTED_MINUTES))
  updateInstant(s, days(year, month, day) * 86400000000 + time, NAIVE)
  return n == 10 ? KIND_DATE : KIND_DATETIME
}

@inline function widenRange (at: usize, key: i64): void {
  if (key < load<i64>(at)) store<i64>(at, key)
  if (key > load<i64>(at, 8)) store<i64>(at, key, 8)
}

/**
 * D/D/YYYY (one or two digits each), or that with a space and H:MM[:SS], maybe AM or PM (no zone): US exports put
 * the month first (1/31/2026), British, French, Spanish or Indian ones the day (31/01/2026), and one value seldom says which. The
 * column does: each value keeps the readings it fits (a real calendar day each way) and widens each one's range;
 * a value no reading the column still has fits makes it a string. csv-profile.ts reports the reading left at the
 * end (month first when both are, as dateutil and pandas read them; DuckDB's sniffer reads them day first).
 */
function slashDateTime (s: usize, p: usize, n: i32): i32 {
  const x = oneOrTwoDigits(p, n, 0)
  let i = x & 3
  if (byteAt(p, i) != 0x2f) return KIND_STRING
  const y = oneOrTwoDigits(p, n, i + 1)
  if (y < 0) return KIND_STRING
  i += 1 + (y & 3)
  const century = twoDigits(p, i + 1)
  const years = twoDigits(p, i + 3)
  if (i + 5 > n || byteAt(p, i) != 0x2f || century < 0 || years < 0) return KIND_STRING
  i += 5
  const year = century * 100 + years
  const first = x >> 2
  const second = y >> 2
  let fits = load<i32>(s + O_SLASH)
  if (first < 1 || first > 12 || second < 1 || second > daysInMonth(year, first)) fits &= ~SLASH_MONTH_FIRST
  if (second < 1 || second > 12 || first < 1 || first > daysInMonth(year, second)) fits &= ~SLASH_DAY_FIRST
  const time = i == n ? 0 : clockTime(p, n, i, true)
  if (time < 0 || fits == 0) return KIND_STRING
  store<i32>(s + O_SLASH, fits)
  if ((fits & SLASH_MONTH_FIRST) != 0) widenRange(s + O_MONTH_FIRST_MIN, days(year, first, second) * 86400000000 + time)
  if ((fits & SLASH_DAY_FIRST) != 0) widenRange(s + O_DAY_FIRST_MIN, days(year, second, first) * 86400000000 + time)
  const format = i == n ? F_SLASH_DATE : clockMeridiem ? (clockSeconds ? F_SLASH_SECONDS_12H : F_SLASH_MINUTES_12H) : clockSeconds ? F_SLASH_SECONDS : F_SLASH_MINUTES
  store<i64>(s + O_FORMATS, load<i64>(s + O_FORMATS) | format)
  return i == n ? KIND_DATE : KIND_DATETIME
}

/** YYYY-MM-DD, or that with T or a space and HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM|±HH]. */
function dateTime (s: usize, p: usize, n: i32): i32 {
  // The buffers are padded: 16 bytes may be read from any value.
  const head = load<u64>(p)
  let monthStart: i32
  let monthDays: i32
  if (head == load<u64>(s + O_MONTH_KEY)) {
    monthStart = load<i32>(s + O_MONTH_START)
    monthDays = load<i32>(s + O_MONTH_DAYS)
  } else {
    const x = head ^ DATE_PATTERN
    if (!allDigits(x) || (x & DATE_DASHES) != 0) return KIND_STRING
    const year = digitPair(x, 0) * 100 + digitPair(x, 16)
    const month = digitPair(x, 40)
    if (month < 1 || month > 12) return KIND_STRING
    monthDays = daysInMonth(year, month)
    monthStart = <i32>days(year, month, 1)
    store<u64>(s + O_MONTH_KEY, head)
    store<i32>(s + O_MONTH_START, monthStart)
    store<i32>(s + O_MONTH_DAYS, monthDays)
  }
  const x = load<u64>(p, 8) ^ TIME_PATTERN
  if (n == 10) {
    const day = digitPair(x, 0)
    if (!allDigits(x & 0xffff) || day < 1 || day > monthDays) return KIND_STRING
    store<i64>(s + O_FORMATS, load<i64>(s + O_FORMATS) | F_DATE)
    updateInstant(s, <i64>(monthStart + day - 1) * 86400000000, NAIVE)
    return KIND_DATE
  }
  // DDTHH:MM, or with a space for the T.
  const spaced = (x & 0xff0000) == SPACE_SEPARATOR
  const y = spaced ? x ^ SPACE_SEPARATOR : x
  if (n < 16 || !allDigits(y) || (y & (TIME_COLON | 0xff0000)) != 0) return KIND_STRING
  const day = digitPair(y, 0)
  const hour = digitPair(y, 24)
  const minute = digitPair(y, 48)
  if (day < 1 || day > monthDays || hour > 23 || minute > 59) return KIND_STRING
  let micros = (<i64>(monthStart + day - 1) * 1440 + <i64>(hour * 60 + minute)) * 60000000
  let i = 16
  let secondsShape = 0
  if (i < n && byteAt(p, i) == 0x3a) {
    const second = twoDigits(p, i + 1)
    if (i + 3 > n || second < 0 || second > 59) return KIND_STRING
    micros += <i64>second * 1000000
    i += 3
    secondsShape = 1
    if (i < n && byteAt(p, i) == 0x2e) {
      i++
      const start = i
      let fraction: i64 = 0
      while (i < n && digit(byteAt(p, i))) {
        if (i - start < 6) fraction = fraction * 10 + <i64>(byteAt(p, i) - 0x30)
        i++
      }
      if (i == start) return KIND_STRING
      for (let k = i - start; k < 6; k++) fraction *= 10
      micros += fraction
      secondsShape = 2
    }
  }
  let zone = NAIVE
  let zoneShape = 0
  if (i < n) {
    const z = byteAt(p, i)
    if (z == 0x5a) {
      zone = 0
      zoneShape = 1
      i++
    } else if (z == 0x2b || z == 0x2d) {
      const hours = twoDigits(p, i + 1)
      if (i + 3 > n || hours < 0 || hours > 23) return KIND_STRING
      let minutes = 0
      i += 3
      zoneShape = 4
      if (i < n) {
        const colon = byteAt(p, i) == 0x3a ? 1 : 0
        minutes = twoDigits(p, i + colon)
        if (i + colon + 2 > n || minutes < 0 || minutes > 59) return KIND_STRING
        i += colon + 2
        zoneShape = colon == 1 ? 2 : 3
      }
      zone = (hours * 60 + minutes) * (z == 0x2d ? -1 : 1)
    } else {
      return KIND_STRING
    }
  }
  if (i != n) return KIND_STRING
  const shape = (spaced ? 15 : 0) + secondsShape * 5 + zoneShape
  store<i64>(s + O_FORMATS, load<i64>(s + O_FORMATS) | (<i64>1 << shape))
  updateInstant(s, micros - <i64>(zone == NAIVE ? 0 : zone) * 60000000, zone)
  return KIND_DATETIME
}

@inline function updateInstant (s: usize, key: i64, zone: i32): void {
  if (key < load<i64>(s + O_DATE_MIN)) {
    store<i64>(s + O_DATE_MIN, key)
    store<i32>(s + O_DATE_MIN_ZONE, zone)
  }
  if (key > load<i64>(s + O_DATE_MAX)) {
    store<i64>(s + O_DATE_MAX, key)
    store<i32>(s + O_DATE_MAX_ZONE, zone)
  }
}

// ---- the slow path: one value at a time

/** The value buffer's first size, doubled for a longer value: a small file's values never need more. */
const VALUE_CAPACITY: i32 = 1 << 12
let valueBuffer: usize = 0
let valueBufferSize: i32 = 0

/** Where the caller writes a value of `n` bytes before `profileValue`. */
export function valueAt (n: i32): usize {
  if (n + 16 > valueBufferSize) {
    if (valueBuffer != 0) release(valueBuffer, valueBufferSize)
    valueBufferSize = 1 << (32 - clz(max(n + 16, VALUE_CAPACITY) - 1))
    valueBuffer = alloc(valueBufferSize)
  }
  return valueBuffer
}

/** Profiles the `n` bytes written at `valueAt(n)` as a value of column `col`; true when it became a sample. */
export function profileValue (col: i32, n: i32): bool {
  const before = pendingSamples
  profileField(col, valueBuffer, n, false, 0)
  const sampled = pendingSamples > before
  pendingSamples = before
  return sampled
}
