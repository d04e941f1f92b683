// AssemblyScript source of the CSV scanner's hot loop (compiled to WebAssembly by `npm run build:wasm`).
//
// The caller copies a chunk to `inputBase()` and calls `scan(start, length)`. The state machine is the one
// documented in ../csv-scan.ts; SIMD finds the next byte that matters 16 bytes at a time. The delimiter, quote
// and comment bytes are parameters of `reset`, splatted into vectors once. State lives in globals, so a
// record, a quoted field, a comment line or a CRLF may straddle chunks.

const CR: i32 = 0x0d
const LF: i32 = 0x0a
const NO_COMMENT: i32 = -1

/** Statuses `scan` and `finish` return. */
const MORE: i32 = 0
const FIELD_COUNT: i32 = 1
const RECORD_SIZE: i32 = 2
const HEADER_END: i32 = 3
const UNCLOSED_QUOTE: i32 = 4
/** A closing quote followed by the comment byte in a record's first field: csv-parse's corner, left to it. */
const UNSUPPORTED: i32 = 5

const CAPACITY: i32 = 1 << 20
const INPUT: usize = memory.data(CAPACITY + 16, 16)

let delimiter: i32 = 0x2c
let quote: i32 = 0x22
let comment: i32 = NO_COMMENT
let delimiters: v128 = i8x16.splat(0x2c)
let quotes: v128 = i8x16.splat(0x22)
const lfs: v128 = i8x16.splat(<i8>LF)
const crs: v128 = i8x16.splat(<i8>CR)

let maxRecordBytes: i32 = 0
let expectedFields: i32 = -1
let quoted = false
let quotePending = false
let crPending = false
let commenting = false
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

/** Starts a new file: the record size limit, the delimiter and quote bytes, and the comment byte or -1. */
export function reset (limit: i32, delimiterByte: i32, quoteByte: i32, commentByte: i32): void {
  maxRecordBytes = limit
  delimiter = delimiterByte
  quote = quoteByte
  comment = commentByte
  delimiters = i8x16.splat(<i8>delimiterByte)
  quotes = i8x16.splat(<i8>quoteByte)
  expectedFields = -1
  quoted = false
  quotePending = false
  crPending = false
  commenting = false
  atFieldStart = true
  carried = 0
  fields = 1
  rows = 0
  blankLines = 0
}

/** The next delimiter, quote, CR or LF at or after `i`, or `n`. */
@inline function nextSpecial (i: i32, n: i32): i32 {
  while (i + 16 <= n) {
    const v = v128.load(INPUT + <usize>i)
    const hits = v128.or(v128.or(i8x16.eq(v, delimiters), i8x16.eq(v, quotes)), v128.or(i8x16.eq(v, lfs), i8x16.eq(v, crs)))
    const mask = i8x16.bitmask(hits)
    if (mask != 0) return i + ctz(mask)
    i += 16
  }
  while (i < n) {
    const c = <i32>load<u8>(INPUT + <usize>i)
    if (c == delimiter || c == quote || c == LF || c == CR) return i
    i++
  }
  return n
}

/** The next quote at or after `i`, or `n`. */
@inline function nextQuote (i: i32, n: i32): i32 {
  while (i + 16 <= n) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(INPUT + <usize>i), quotes))
    if (mask != 0) return i + ctz(mask)
    i += 16
  }
  while (i < n) {
    if (<i32>load<u8>(INPUT + <usize>i) == quote) return i
    i++
  }
  return n
}

/** The next CR or LF at or after `i`, or `n`. */
function nextLineEnd (i: i32, n: i32): i32 {
  while (i + 16 <= n) {
    const v = v128.load(INPUT + <usize>i)
    const mask = i8x16.bitmask(v128.or(i8x16.eq(v, lfs), i8x16.eq(v, crs)))
    if (mask != 0) return i + ctz(mask)
    i += 16
  }
  while (i < n) {
    const c = <i32>load<u8>(INPUT + <usize>i)
    if (c == LF || c == CR) return i
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
    const next = byteAt(i)
    if (next == quote) {
      i++
    } else {
      if (next == comment && fields == 1) { stoppedAt = i; return UNSUPPORTED }
      quoted = false
      fieldStart = -1
    }
  }
  // A comment line starts where a record would: no byte of the record seen yet.
  if (!commenting && !quoted && carried == 0 && fields == 1 && fieldStart == i && i < n && byteAt(i) == comment) commenting = true
  while (i < n) {
    if (commenting) {
      let e = nextLineEnd(i, n)
      if (e == n) { i = n; recordStart = n; break }
      if (byteAt(e) == CR) {
        if (e + 1 == n) crPending = true
        else if (byteAt(e + 1) == LF) e++
      }
      i = e + 1
      commenting = false
      recordStart = i
      fieldStart = i
      if (i < n && byteAt(i) == comment) commenting = true
      continue
    }
    if (quoted) {
      const q = nextQuote(i, n)
      if (q == n) { i = n; break }
      if (q + 1 == n) { quotePending = true; i = n; break }
      const next = byteAt(q + 1)
      if (next == quote) {
        i = q + 2
      } else {
        if (next == comment && fields == 1) { stoppedAt = q + 1; return UNSUPPORTED }
        quoted = false
        i = q + 1
      }
      continue
    }
    i = nextSpecial(i, n)
    if (i == n) break
    const c = byteAt(i)
    if (c == delimiter) {
      fields++
      i++
      fieldStart = i
    } else if (c == quote) {
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
      if (i < n && byteAt(i) == comment) commenting = true
    }
  }
  atFieldStart = fieldStart == n && !quoted
  carried += n - recordStart
  stoppedAt = n
  return carried > maxRecordBytes ? RECORD_SIZE : MORE
}

/** After the last chunk: UNCLOSED_QUOTE, or the status of the last record (if unterminated). */
export function finish (): i32 {
  commenting = false
  if (quotePending) {
    quotePending = false
    quoted = false
  }
  if (quoted) return UNCLOSED_QUOTE
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
