// AssemblyScript source of the CSV scanner's hot loop (compiled to WebAssembly by `npm run build:wasm`).
//
// The caller copies a chunk to `inputBase()` and calls `scan(start, length)`. The state machine is the one
// documented in ../csv-scan.ts; SIMD finds the next byte that matters 16 bytes at a time. State lives in
// globals, so a record, a quoted field or a CRLF may straddle chunks.

const QUOTE: i32 = 0x22
const COMMA: i32 = 0x2c
const CR: i32 = 0x0d
const LF: i32 = 0x0a

/** Statuses `scan` returns. */
const MORE: i32 = 0
const FIELD_COUNT: i32 = 1
const RECORD_SIZE: i32 = 2
const HEADER_END: i32 = 3

const CAPACITY: i32 = 1 << 20
const INPUT: usize = memory.data(CAPACITY + 16, 16)

let maxRecordBytes: i32 = 0
let expectedFields: i32 = -1
let quoted = false
let quotePending = false
let crPending = false
let atFieldStart = true
let carried: i32 = 0
let fields: i32 = 1
let rows: i32 = 0
let blankLines: i32 = 0
let stoppedAt: i32 = 0

export function inputBase (): usize { return INPUT }
export function inputCapacity (): i32 { return CAPACITY }
/** Data rows counted since the last call. */
export function takeRows (): i32 { const r = rows; rows = 0; return r }
/** Where the last `scan` stopped (the end of the header, for HEADER_END). */
export function stopped (): i32 { return stoppedAt }
export function headerFields (): i32 { return expectedFields }
/** Blank lines skipped so far. */
export function blanks (): i32 { return blankLines }

export function reset (limit: i32): void {
  maxRecordBytes = limit
  expectedFields = -1
  quoted = false
  quotePending = false
  crPending = false
  atFieldStart = true
  carried = 0
  fields = 1
  rows = 0
  blankLines = 0
}

/** The next comma, quote, CR or LF at or after `i`, or `n`. */
@inline function nextSpecial (i: i32, n: i32): i32 {
  const commas = i8x16.splat(<i8>COMMA)
  const quotes = i8x16.splat(<i8>QUOTE)
  const lfs = i8x16.splat(<i8>LF)
  const crs = i8x16.splat(<i8>CR)
  while (i + 16 <= n) {
    const v = v128.load(INPUT + <usize>i)
    const hits = v128.or(v128.or(i8x16.eq(v, commas), i8x16.eq(v, quotes)), v128.or(i8x16.eq(v, lfs), i8x16.eq(v, crs)))
    const mask = i8x16.bitmask(hits)
    if (mask != 0) return i + ctz(mask)
    i += 16
  }
  while (i < n) {
    const c = <i32>load<u8>(INPUT + <usize>i)
    if (c == COMMA || c == QUOTE || c == LF || c == CR) return i
    i++
  }
  return n
}

/** The next quote at or after `i`, or `n`. */
@inline function nextQuote (i: i32, n: i32): i32 {
  const quotes = i8x16.splat(<i8>QUOTE)
  while (i + 16 <= n) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(INPUT + <usize>i), quotes))
    if (mask != 0) return i + ctz(mask)
    i += 16
  }
  while (i < n) {
    if (<i32>load<u8>(INPUT + <usize>i) == QUOTE) return i
    i++
  }
  return n
}

@inline function byteAt (i: i32): i32 {
  return <i32>load<u8>(INPUT + <usize>i)
}

/** Scans bytes [start, n) of the input; returns MORE when they are done, or why it stopped. */
export function scan (start: i32, n: i32): i32 {
  let i = start
  let recordStart = start
  let fieldStart = atFieldStart ? start : -1
  if (crPending && i < n) {
    crPending = false
    if (byteAt(i) == LF) {
      i++
      recordStart = i
      fieldStart = i
    }
  }
  if (quotePending && i < n) {
    // The quote that ended the previous chunk: an escaped quote, or the end of the quoted field.
    quotePending = false
    if (byteAt(i) == QUOTE) {
      i++
    } else {
      quoted = false
      fieldStart = -1
    }
  }
  while (i < n) {
    if (quoted) {
      const q = nextQuote(i, n)
      if (q == n) { i = n; break }
      if (q + 1 == n) { quotePending = true; i = n; break }
      if (byteAt(q + 1) == QUOTE) {
        i = q + 2
      } else {
        quoted = false
        i = q + 1
      }
      continue
    }
    i = nextSpecial(i, n)
    if (i == n) break
    const c = byteAt(i)
    if (c == COMMA) {
      fields++
      i++
      fieldStart = i
    } else if (c == QUOTE) {
      if (i == fieldStart) quoted = true
      i++
    } else {
      const length = i - recordStart + carried
      if (c == CR) {
        if (i + 1 == n) crPending = true
        else if (byteAt(i + 1) == LF) i++
      }
      i++
      if (length > 0) {
        if (length > maxRecordBytes) { stoppedAt = i; return RECORD_SIZE }
        if (expectedFields == -1) {
          expectedFields = fields
          carried = 0
          fields = 1
          atFieldStart = true
          stoppedAt = i
          return HEADER_END
        }
        if (fields != expectedFields) { stoppedAt = i; return FIELD_COUNT }
        rows++
      } else {
        blankLines++
      }
      carried = 0
      fields = 1
      recordStart = i
      fieldStart = i
    }
  }
  atFieldStart = fieldStart == n && !quoted
  carried += n - recordStart
  stoppedAt = n
  return carried > maxRecordBytes ? RECORD_SIZE : MORE
}

/** After the last chunk: 4 for an unclosed quote, else the status of the last record (if unterminated). */
export function finish (): i32 {
  if (quotePending) {
    quotePending = false
    quoted = false
  }
  if (quoted) return 4
  if (carried == 0) return MORE
  const length = carried
  carried = 0
  if (length > maxRecordBytes) return RECORD_SIZE
  if (expectedFields == -1) {
    expectedFields = fields
    return HEADER_END
  }
  if (fields != expectedFields) return FIELD_COUNT
  rows++
  return MORE
}
