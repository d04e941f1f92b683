// AssemblyScript source of the CSV scanner's hot loop (compiled to WebAssembly by `npm run build:wasm`).
//
// The caller asks `prepare()` where to write, copies up to `room()` bytes there and calls `scan(bytes)`. The
// state machine is the one documented in ../csv-scan.ts; SIMD finds the end of each field 16 bytes at a time, and
// every data field goes to the profiler (csv-profile.as.ts) whole: a field cut by the end of a chunk is kept and
// moved to the front of the buffer before the next chunk is written after it, so the profiler always sees a field
// in one piece. Offsets that outlive a chunk are stream offsets (`base` is that of the buffer's first byte).
import { COMMA, POINT, PREFER_COMMA, profileColumns, profileField, profileInit } from './csv-profile.as'

export { profileInit, profileColumns, columnsBase, columnStride, distinctBound, sketchBits, samplesBase, takeSamples, valueAt, profileValue } from './csv-profile.as'

const CR: i32 = 0x0d
const LF: i32 = 0x0a
const NO_COMMENT: i32 = -1

/** Statuses `scan` and `finish` return. */
const MORE: i32 = 0
const FIELD_COUNT: i32 = 1
const RECORD_SIZE: i32 = 2
const UNCLOSED_QUOTE: i32 = 4
/** A closing quote followed by something other than a delimiter or a line end: csv-parse's corner, left to it. */
const UNSUPPORTED: i32 = 5
/** One field longer than CARRY bytes: left to csv-parse. */
const LONG_FIELD: i32 = 6

/** Most bytes written per `scan`, and most bytes of one field carried from one `scan` to the next. */
const CAPACITY: i32 = 1 << 20
const CARRY: i32 = 1 << 20
const BUFFER: usize = memory.data(CAPACITY + CARRY + 64, 16)

/** Where a record's bytes are: between records, in a comment line, at a field's start, inside a field. */
const RECORD: i32 = 0
const COMMENT: i32 = 1
const FIELD: i32 = 2
const UNQUOTED: i32 = 3
const QUOTED: i32 = 4

let delimiter: i32 = 0x2c
let quote: i32 = 0x22
let comment: i32 = NO_COMMENT
let delimiters: v128 = i8x16.splat(0x2c)
let quotes: v128 = i8x16.splat(0x22)
const lfs: v128 = i8x16.splat(<i8>LF)
const crs: v128 = i8x16.splat(<i8>CR)

let maxRecordBytes: i32 = 0
/** False in counting-only mode: fields are found and counted, never profiled. */
let profileOn = true
let profileFirst = false
let expectedFields: i32 = -1
let headerEnd: i64 = -1
let filled: i32 = 0
let pos: i32 = 0
let base: i64 = 0
let state: i32 = RECORD
let fieldStart: i32 = 0
let escaped = false
let afterCr = false
let column: i32 = 0
let recordStart: i64 = 0
let rows: i32 = 0
let blankLines: i32 = 0
let blankLinesBeforeHeader: i32 = 0

export function bufferBase (): usize { return BUFFER }
/** Data rows counted since the last call. */
export function takeRows (): i32 { const r = rows; rows = 0; return r }
export function headerFields (): i32 { return expectedFields }
/** The stream offset just past the first record (the header's line end), or -1. */
export function headerBytes (): f64 { return <f64>headerEnd }
/** Blank lines skipped so far. */
export function blanks (): i32 { return blankLines }
/** Blank lines skipped before the header (or the first record). */
export function headerBlanks (): i32 { return blankLinesBeforeHeader }
/**
 * The stream offset where the unfinished record (or comment line) starts, or where the scan stands between
 * records: every byte before it belongs to complete records, so a piece of the text may end there.
 */
export function cut (): f64 { return <f64>(state == RECORD ? base + <i64>pos : recordStart) }

/** Counting-only mode: records are found and checked, no field is profiled (call after `reset`). */
export function countOnly (): void { profileOn = false }

/**
 * Starts in the middle of a file whose records have `fields` fields: every record is data (call after `reset`);
 * `afterCr` when the byte before is a CR, so a LF first is the end of that line, not a blank line.
 */
export function expect (fields: i32, afterCrByte: bool): void {
  expectedFields = fields
  headerEnd = 0
  afterCr = afterCrByte
  profileColumns(fields)
}

/**
 * Starts a new file (or piece), forgetting the last: the record size limit, the delimiter and quote bytes, the comment byte or -1, the most
 * columns to profile, and whether the first record is data (no header) to profile too.
 */
export function reset (limit: i32, delimiterByte: i32, quoteByte: i32, commentByte: i32, columnLimit: i32, firstIsData: bool): void {
  maxRecordBytes = limit
  delimiter = delimiterByte
  quote = quoteByte
  comment = commentByte
  delimiters = i8x16.splat(<i8>delimiterByte)
  quotes = i8x16.splat(<i8>quoteByte)
  profileFirst = firstIsData
  profileOn = true
  expectedFields = -1
  headerEnd = -1
  filled = 0
  pos = 0
  base = 0
  state = RECORD
  fieldStart = 0
  escaped = false
  afterCr = false
  column = 0
  recordStart = 0
  rows = 0
  misses = 0
  blankLines = 0
  blankLinesBeforeHeader = 0
  // Where commas delimit, a point is the decimal mark (1,234.5); elsewhere a comma may be (1.234,5), and where
  // semicolons delimit, as Excel writes numbers where it uses them, a column that fits both reads the comma.
  profileInit(columnLimit, delimiterByte == 0x2c ? POINT : delimiterByte == 0x3b ? POINT | COMMA | PREFER_COMMA : POINT | COMMA)
}

/** Moves the unfinished field to the front and returns where the next bytes go (at most `room()` of them). */
export function prepare (): usize {
  const keep = state == UNQUOTED || state == QUOTED ? fieldStart : pos
  if (keep > 0) {
    memory.copy(BUFFER, BUFFER + <usize>keep, <usize>(filled - keep))
    filled -= keep
    pos -= keep
    fieldStart -= keep
    base += keep
  }
  return BUFFER + <usize>filled
}

export function room (): i32 { return CAPACITY + CARRY - filled }

/** The next delimiter, CR or LF at or after `i`, or `n`. */
@inline function nextFieldEnd (i: i32, n: i32): i32 {
  while (i + 16 <= n) {
    const v = v128.load(BUFFER + <usize>i)
    const mask = i8x16.bitmask(v128.or(i8x16.eq(v, delimiters), v128.or(i8x16.eq(v, lfs), i8x16.eq(v, crs))))
    if (mask != 0) return i + ctz(mask)
    i += 16
  }
  while (i < n) {
    const c = <i32>load<u8>(BUFFER + <usize>i)
    if (c == delimiter || c == LF || c == CR) return i
    i++
  }
  return n
}

/** The next quote at or after `i`, or `n`. */
@inline function nextQuote (i: i32, n: i32): i32 {
  while (i + 16 <= n) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(BUFFER + <usize>i), quotes))
    if (mask != 0) return i + ctz(mask)
    i += 16
  }
  while (i < n) {
    if (<i32>load<u8>(BUFFER + <usize>i) == quote) return i
    i++
  }
  return n
}

/** The next CR or LF at or after `i`, or `n`. */
function nextLineEnd (i: i32, n: i32): i32 {
  while (i + 16 <= n) {
    const v = v128.load(BUFFER + <usize>i)
    const mask = i8x16.bitmask(v128.or(i8x16.eq(v, lfs), i8x16.eq(v, crs)))
    if (mask != 0) return i + ctz(mask)
    i += 16
  }
  while (i < n) {
    const c = <i32>load<u8>(BUFFER + <usize>i)
    if (c == LF || c == CR) return i
    i++
  }
  return n
}

@inline function byteAt (i: i32): i32 {
  return <i32>load<u8>(BUFFER + <usize>i)
}

@inline function field (start: i32, end: i32, withEscapes: bool): void {
  if (profileOn && (expectedFields >= 0 || profileFirst)) profileField(column, BUFFER + <usize>start, end - start, withEscapes, quote)
}

/** The record that ends before buffer offset `end` (for `finish`): MORE, or why the file is not the scanner's. */
function endRecord (end: i32): i32 {
  if (base + <i64>end - recordStart > <i64>maxRecordBytes) return RECORD_SIZE
  if (expectedFields == -1) {
    expectedFields = column + 1
    headerEnd = base + <i64>end + 1
    blankLinesBeforeHeader = blankLines
    profileColumns(expectedFields)
    return MORE
  }
  if (column + 1 != expectedFields) return FIELD_COUNT
  rows++
  return MORE
}

// ---- counting 64 bytes at a time
//
// In counting-only mode a field needs no finding, only its record's end. A block of 64 bytes is read at once: its
// quotes, delimiters and line ends as bit masks (bit k for byte k), which bytes are inside quoted fields from the
// quotes' running parity (each quote opens or closes a field; a doubled quote closes and opens again), and its
// delimiters outside quotes counted by popcount between its line ends outside quotes. What the masks cannot settle
// goes back to the field loop above, which decides it exactly as it does when profiling: a block with a quote the
// field loop would read as text or give up on, or a closing quote as its last byte, from the block's start; a
// comment line, or a record of another width or over the size limit, from that line's or record's start.

/** How many times in a row `countBlocks` gave back its first block. */
let misses: i32 = 0
/** Where `countBlocks` stopped: the first byte it did not read, and the scan's state there. */
let blockAt: i32 = 0
let blockState: i32 = RECORD

/** The block `readBlock` read: its delimiters and line ends outside quoted fields, all ones if it ends inside one. */
let blockDelimiters: u64 = 0
let blockEnds: u64 = 0
let blockInside: u64 = 0

/** Bit k set where byte k of the 64 (in a, b, c, d) equals the byte splatted in `x`. */
@inline function bits (a: v128, b: v128, c: v128, d: v128, x: v128): u64 {
  return <u64><u32>i8x16.bitmask(i8x16.eq(a, x)) | <u64><u32>i8x16.bitmask(i8x16.eq(b, x)) << 16 |
    <u64><u32>i8x16.bitmask(i8x16.eq(c, x)) << 32 | <u64><u32>i8x16.bitmask(i8x16.eq(d, x)) << 48
}

/** Bit k set where byte k is a CR or a LF. */
@inline function lineEnds (a: v128, b: v128, c: v128, d: v128): u64 {
  return <u64><u32>i8x16.bitmask(v128.or(i8x16.eq(a, lfs), i8x16.eq(a, crs))) |
    <u64><u32>i8x16.bitmask(v128.or(i8x16.eq(b, lfs), i8x16.eq(b, crs))) << 16 |
    <u64><u32>i8x16.bitmask(v128.or(i8x16.eq(c, lfs), i8x16.eq(c, crs))) << 32 |
    <u64><u32>i8x16.bitmask(v128.or(i8x16.eq(d, lfs), i8x16.eq(d, crs))) << 48
}

/** Bit k set where an odd number of bits of `x` are set at or below k. */
@inline function prefixXor (x: u64): u64 {
  x ^= x << 1
  x ^= x << 2
  x ^= x << 4
  x ^= x << 8
  x ^= x << 16
  return x ^ (x << 32)
}

/**
 * Reads the 64 bytes at `i` into the block masks; `inside` is all ones when they start inside a quoted field,
 * `fieldStart` 1 when they start a field. False when a quote in them is not one the masks can settle: a quote
 * that opens where a field does not start (the field loop reads it as text), a closing quote followed by other
 * text (the field loop gives up), or a closing quote as the last byte, whose next byte is in the next block.
 */
@inline function readBlock (i: i32, inside: u64, fieldStart: u64): bool {
  const p = BUFFER + <usize>i
  const a = v128.load(p)
  const b = v128.load(p, 16)
  const c = v128.load(p, 32)
  const d = v128.load(p, 48)
  const q = bits(a, b, c, d, quotes)
  let delims = bits(a, b, c, d, delimiters)
  let ends = lineEnds(a, b, c, d)
  blockInside = inside
  if ((q | inside) != 0) {
    const quoted = prefixXor(q) ^ inside
    const opening = q & quoted
    const closing = q & ~quoted
    const separators = delims | ends
    // A quote opens a field at its first byte, or right after a closing quote (a doubled quote); a closing quote
    // is followed by a delimiter, a line end, or the quote that doubles it (so never the last byte: the next is not
    // in the block, and the next block never starts right after a closing quote).
    if ((opening & ~(separators << 1 | fieldStart | closing << 1)) != 0) return false
    if ((closing & ~((separators | opening) >> 1)) != 0) return false
    delims &= ~quoted
    ends &= ~quoted
    blockInside = <u64>(<i64>quoted >> 63)
  }
  blockDelimiters = delims
  blockEnds = ends
  return true
}

/**
 * Counts whole blocks from `i`, between records (`cr` when a CR came last), while they settle their records; sets
 * `blockAt`, `blockState` and `afterCr` where the field loop goes on, and returns the delimiters so far in the record
 * it goes on in. A record the blocks cannot settle is given back from its start; a block they cannot read, from
 * the block's.
 */
function countBlocks (i: i32, n: i32, cr: bool): i32 {
  let inRecord = false
  let col = 0
  let inside: u64 = 0
  let fieldStart: u64 = 1
  while (i + 64 <= n) {
    if (!readBlock(i, inside, fieldStart)) break
    let ends = blockEnds
    let left = blockDelimiters
    let from = 0
    for (;;) {
      const end = ends & (~ends + 1)
      const to = ends == 0 ? 64 : <i32>ctz(ends)
      if (to > from) {
        if (!inRecord) {
          if (byteAt(i + from) == comment) return giveBack(i + from)
          recordStart = base + <i64>(i + from)
          inRecord = true
          col = 0
          cr = false
        }
        const before = ends == 0 ? left : left & (end - 1)
        col += <i32>popcnt(before)
        left ^= before
        if (col >= expectedFields) return giveBack(<i32>(recordStart - base))
      }
      if (ends == 0) break
      const c = byteAt(i + to)
      if (!inRecord) {
        if (cr && c == LF) cr = false
        else { blankLines++; cr = c == CR }
      } else {
        if (col + 1 != expectedFields || base + <i64>(i + to) - recordStart > <i64>maxRecordBytes) return giveBack(<i32>(recordStart - base))
        rows++
        inRecord = false
        cr = c == CR
      }
      from = to + 1
      ends ^= end
    }
    inside = blockInside
    fieldStart = (blockDelimiters | blockEnds) >> 63
    i += 64
  }
  blockAt = i
  blockState = !inRecord ? RECORD : inside != 0 ? QUOTED : fieldStart != 0 ? FIELD : UNQUOTED
  afterCr = cr
  return col
}

/** Gives the field loop the record (or comment line) that starts at `at`. */
function giveBack (at: i32): i32 {
  blockAt = at
  blockState = RECORD
  afterCr = false
  return 0
}

/**
 * Scans the `added` bytes just written at `prepare()`; returns MORE when they are done, or why it stopped. The
 * state lives in locals while the loop runs (globals between calls).
 */
export function scan (added: i32): i32 {
  filled += added
  const n = filled
  let i = pos
  let at = state
  let col = column
  let start = fieldStart
  let withEscapes = escaped
  let cr = afterCr
  let profiling = profileOn && (expectedFields >= 0 || profileFirst)
  let status = MORE
  // Counting by blocks starts at a record here (never when profiling, nor in the header); after a block given back, further on.
  let blocksFrom = !profileOn && expectedFields >= 0 ? i : i32.MAX_VALUE
  for (;;) {
    if (at == RECORD) {
      if (i >= n) break
      if (i >= blocksFrom && i + 64 <= n) {
        const from = i
        const counted = countBlocks(i, n, cr)
        // A block given back at once (a comment line, say) makes the next try wait longer: 16 bytes, then 32, ... 64 KiB.
        misses = blockAt == from ? min(misses + 1, 12) : 0
        blocksFrom = blockAt + (16 << misses)
        if (blockAt != from) {
          i = blockAt
          col = counted
          cr = afterCr
          at = blockState
          start = i
          continue
        }
      }
      const c = byteAt(i)
      if (cr) {
        cr = false
        if (c == LF) { i++; continue }
      }
      if (c == LF || c == CR) {
        blankLines++
        cr = c == CR
        i++
        continue
      }
      if (c == comment) {
        recordStart = base + <i64>i
        at = COMMENT
        i++
        continue
      }
      recordStart = base + <i64>i
      col = 0
      at = FIELD
    }
    if (at == FIELD) {
      if (i >= n) break
      start = i
      if (byteAt(i) == quote) {
        at = QUOTED
        withEscapes = false
        i++
      } else {
        at = UNQUOTED
      }
    }
    let end: i32
    if (at == UNQUOTED) {
      end = nextFieldEnd(i, n)
      if (end == n) { i = n; break }
      if (profiling) profileField(col, BUFFER + <usize>start, end - start, false, quote)
    } else if (at == QUOTED) {
      const q = nextQuote(i, n)
      // The byte after a quote decides what it is; at the end of the buffer, wait for it.
      if (q + 1 >= n) { i = q; break }
      const next = byteAt(q + 1)
      if (next == quote) {
        withEscapes = true
        i = q + 2
        continue
      }
      if (next != delimiter && next != LF && next != CR) { i = q; status = UNSUPPORTED; break }
      if (profiling) profileField(col, BUFFER + <usize>(start + 1), q - start - 1, withEscapes, quote)
      end = q + 1
    } else {
      // A comment line, to its end.
      const e = nextLineEnd(i, n)
      if (e == n) { i = n; break }
      cr = byteAt(e) == CR
      i = e + 1
      at = RECORD
      continue
    }
    i = end + 1
    const c = byteAt(end)
    if (c == delimiter) {
      col++
      if (expectedFields >= 0 && col >= expectedFields) { status = FIELD_COUNT; break }
      at = FIELD
      continue
    }
    cr = c == CR
    at = RECORD
    if (base + <i64>end - recordStart > <i64>maxRecordBytes) { status = RECORD_SIZE; break }
    if (expectedFields == -1) {
      expectedFields = col + 1
      headerEnd = base + <i64>i
      blankLinesBeforeHeader = blankLines
      profileColumns(expectedFields)
      profiling = profileOn
      if (!profileOn) blocksFrom = i
    } else if (col + 1 != expectedFields) {
      status = FIELD_COUNT
      break
    } else {
      rows++
    }
  }
  pos = i
  state = at
  column = col
  // Only profiling needs a field whole: counting carries none of an unfinished field's bytes to the next chunk.
  fieldStart = profileOn ? start : i
  escaped = withEscapes
  afterCr = cr
  if (status != MORE) return status
  if (at >= FIELD && base + <i64>n - recordStart > <i64>maxRecordBytes) return RECORD_SIZE
  if (at >= UNQUOTED && n - fieldStart > CARRY) return LONG_FIELD
  return MORE
}

/** After the last chunk: UNCLOSED_QUOTE, or the status of the last record (if unterminated). */
export function finish (): i32 {
  const n = filled
  if (state == QUOTED) {
    // Only a quote in the last byte, waiting for the byte after it, closes the field.
    if (pos != n - 1) return UNCLOSED_QUOTE
    field(fieldStart + 1, pos, escaped)
  } else if (state == UNQUOTED) {
    field(fieldStart, n, false)
  } else if (state == FIELD) {
    field(n, n, false)
  } else {
    return MORE
  }
  state = RECORD
  pos = n
  return endRecord(n)
}

// ---- cutting text into pieces by quote parity (no comment lines; quotes escaped by doubling)
//
// In such text every quote byte opens or closes a quoted field or is half of a doubled quote, so a line end is
// between records exactly when an even number of quotes comes before it. Counting quotes is a fraction of a scan:
// the caller writes chunks at bufferBase() and learns where the last record boundary of each is, without finding
// a single field. A file that breaks the rule (a stray quote in an unquoted field) gets wrong cuts, and the
// scanner profiling the piece before a wrong cut ends inside a quoted field and says so (UNCLOSED_QUOTE).

/**
 * Reads the `n` bytes written at bufferBase() (the text's next bytes), with this quote byte, `inside` when the
 * bytes before them leave a quoted field open. Returns twice the offset just past the last record boundary in
 * them (a LF, or a CR not followed by LF, outside quotes), or -2 when they hold none, plus 1 when they leave a
 * quoted field open. No state stays here between calls, so one instance serves any number of cutters.
 */
export function cutScan (n: i32, quoteByte: i32, inside: bool): i32 {
  const quoteBytes = i8x16.splat(<i8>quoteByte)
  let count = 0
  let i = 0
  for (; i + 16 <= n; i += 16) count += popcnt(i8x16.bitmask(i8x16.eq(v128.load(BUFFER + <usize>i), quoteBytes)))
  for (; i < n; i++) if (byteAt(i) == quoteByte) count++
  const after = inside != ((count & 1) == 1)
  // Walking back from the end: `odd` is whether an odd number of quotes comes before the byte at j.
  let odd = after
  let boundary = -1
  for (let j = n - 1; j >= 0; j--) {
    const c = byteAt(j)
    if (c == quoteByte) odd = !odd
    else if (!odd && (c == LF || (c == CR && j + 1 < n && byteAt(j + 1) != LF))) {
      boundary = j + 1
      break
    }
  }
  return boundary * 2 + (after ? 1 : 0)
}
