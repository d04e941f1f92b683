// Differential test: on thousands of generated CSVs in every dialect and encoding, some gzipped, split into chunks
// at random and at every position, the fast path (CsvScanner, then csv-parse for the header) gives the same rows,
// columns, dialect and verdict as csv-parse alone, and both agree with csv-parse run directly on the decoded text
// in the detected dialect.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { gunzipSync, gzipSync } from 'node:zlib'
import { parse } from 'csv-parse/sync'
import { CsvScanner } from '../../shared/csv-scan.ts'
import { parseOptions } from '../../shared/csv-dialect.ts'
import { extractCsvMetadata, parseFully, type CsvMetadata } from '../../shared/csv-metadata.ts'
import type { Dialect, Encoding } from '../../shared/file-record.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'
import { ProfilePool } from '../../lambda/profile-pool.ts'
import { ProfileThread } from '../../lambda/profile-thread.ts'
import { split } from '../helpers/chunks.ts'
import { encode } from '../helpers/encode.ts'

/** Threads profiling pieces while the scanner counts: 1 to 3 of them, pieces of a few bytes, so every file splits. */
const pools = [new ProfilePool(1, 7), new ProfileThread(29), new ProfilePool(2, 17), new ProfileThread(160), new ProfilePool(3, 64)]
t.teardown(() => Promise.all(pools.map(pool => pool.close())))
let runs = 0

type Outcome = { ok: CsvMetadata } | { code: string, line: number | undefined, byte: number | undefined, problems: unknown }

async function outcome (run: () => Promise<CsvMetadata>): Promise<Outcome> {
  try {
    return { ok: await run() }
  } catch (err) {
    const { code, line, byte, problems } = err as { code: string, line?: number, byte?: number, problems?: unknown }
    if (code === undefined) throw err
    return { code, line, byte, problems }
  }
}

type ScanDialect = Pick<Dialect, 'delimiter' | 'quote' | 'comment'>

function scanIn (chunks: Buffer[], dialect: ScanDialect, maxRecordBytes: number, countOnly: boolean) {
  const scanner = new CsvScanner(maxRecordBytes, dialect, { maxColumns: DEFAULT_LIMITS.maxColumns, firstIsData: false, countOnly })
  for (const chunk of chunks) scanner.push(chunk)
  scanner.end()
  return { gaveUp: scanner.gaveUp as string | undefined, rows: scanner.rows, fields: scanner.headerFields, blanks: scanner.blankLines }
}

/**
 * What the scanner alone says about UTF-8 text: rows and header width, or that it gave up; profiling every field,
 * and in counting-only mode (which reads 64 bytes at a time), which must say the same, blank lines included.
 */
function scan (chunks: Buffer[], dialect: ScanDialect, maxRecordBytes = DEFAULT_LIMITS.maxRecordBytes) {
  const { blanks, ...profiled } = scanIn(chunks, dialect, maxRecordBytes, false)
  const counted = scanIn(chunks, dialect, maxRecordBytes, true)
  if (JSON.stringify(counted) === JSON.stringify({ ...profiled, blanks })) return profiled
  return { ...profiled, gaveUp: `counting-only mode says ${JSON.stringify(counted)}, profiling ${JSON.stringify({ ...profiled, blanks })}` }
}

/** The object's text, decoded here without the product's code: gunzip, TextDecoder, the preamble line dropped. */
function decodedText (bytes: Buffer, found: CsvMetadata): string {
  const plain = found.compression === 'gzip' ? gunzipSync(bytes) : bytes
  const label = found.encoding === 'utf-8-bom' ? 'utf-8' : found.encoding
  // Streaming: Node 20's one-shot windows-1252 decode mangles 0x80-0x9F (nodejs/node#60888); the stream path is right.
  const decoder = new TextDecoder(label, { fatal: true })
  const text = decoder.decode(plain, { stream: true }) + decoder.decode()
  return found.dialect.preamble_lines === 0 ? text : text.replace(/^[^\r\n]*(\r\n|\n|\r|$)/, '')
}

/**
 * Checks one input under one chunking; returns a description of the disagreement, or undefined. A read in byte
 * ranges (aws/ranged-reader.ts) reaches the extractor as one stream cut at each range's end, so it is one of these
 * chunkings; test/aws/ranged-reader.test.ts reads files of quoted multi-line fields through real ranges.
 */
async function disagreement (bytes: Buffer, cuts: number[]): Promise<string | undefined> {
  const reference = await outcome(() => parseFully(() => [bytes]))
  const chunks = split(bytes, cuts)
  const fast = await outcome(() => extractCsvMetadata(() => chunks))
  if (JSON.stringify(fast) !== JSON.stringify(reference)) {
    return `extractor ${JSON.stringify(fast)} != csv-parse ${JSON.stringify(reference)}`
  }
  // In parallel: the same verdict and counts (profiles are compared in profile-differential.test.ts).
  const parallel = await outcome(() => extractCsvMetadata(() => chunks, DEFAULT_LIMITS, pools[runs++ % pools.length]))
  const withoutProfile = (o: Outcome) => JSON.stringify('ok' in o ? { ...o.ok, profile: o.ok.profile.rows } : o)
  if (withoutProfile(parallel) !== withoutProfile(fast)) {
    return `in parallel ${withoutProfile(parallel)} != sequential ${withoutProfile(fast)}`
  }
  if (!('ok' in reference)) return undefined
  const found = reference.ok
  const text = decodedText(bytes, found)
  const records = parse(text, parseOptions(found.dialect, DEFAULT_LIMITS.maxRecordBytes)) as string[][]
  const rows = records.length - (found.dialect.header ? 1 : 0)
  if (rows !== found.row_count) return `csv-parse on the decoded text counts ${rows} rows, the extractor ${found.row_count}`
  if (found.dialect.header && JSON.stringify(records[0]) !== JSON.stringify(found.column_names)) {
    return `csv-parse on the decoded text names ${JSON.stringify(records[0])}, the extractor ${JSON.stringify(found.column_names)}`
  }
  if (found.dialect.escape !== found.dialect.quote) return undefined
  const scanned = scan(split(Buffer.from(text), cuts), found.dialect)
  if (scanned.gaveUp === 'unsupported') return undefined
  if (scanned.gaveUp !== undefined) return `the scanner gave up (${scanned.gaveUp}) on a file csv-parse accepts`
  if (scanned.rows + (found.dialect.header ? 0 : 1) !== found.row_count) return `scanner rows ${scanned.rows} != ${found.row_count}`
  if (scanned.fields !== found.column_count) return `scanner fields ${scanned.fields} != ${found.column_count}`
  return undefined
}

const encoding = fc.constantFrom<Encoding>('utf-8', 'utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252')
const cuts = fc.array(fc.nat(), { maxLength: 6 })

/** Text, its encoding, gzip or not: the object's bytes. */
const object = (text: fc.Arbitrary<string>) => fc.record({ text, encoding, gzip: fc.constantFrom(false, false, false, true) })
  .map(({ text, encoding, gzip }) => ({ text, bytes: gzip ? gzipSync(encode(text, encoding)) : encode(text, encoding) }))

// Bytes that matter to the grammar of some dialect, plus characters beyond ASCII (split across chunks).
const piece = fc.constantFrom('a', 'b', '1', ' ', ',', ',', ';', '\t', '|', '"', '"', "'", '""', '\\"', '#', '# x\n',
  '\n', '\r', '\r\n', '\n\n', 'é', '€', '😀', 'x"y', '"q"', 'sep=;\n')
const rawCsv = fc.array(piece, { maxLength: 40 }).map(parts => parts.join(''))

const DELIMITERS = [',', ';', '\t', '|'] as const
const lineEnd = fc.constantFrom('\n', '\r\n', '\r')
const structuredCsv = fc.record({
  delimiter: fc.constantFrom(...DELIMITERS),
  quote: fc.constantFrom('"', '"', "'"),
  end: lineEnd,
  sep: fc.boolean(),
  comments: fc.constantFrom('none', 'none', 'before', 'inside'),
  header: fc.boolean(),
  width: fc.integer({ min: 1, max: 5 }),
  rows: fc.array(fc.record({ delta: fc.constantFrom(0, 0, 0, 0, 0, 0, 1, -1), blankBefore: fc.boolean(), end: lineEnd }), { maxLength: 8 }),
  cells: fc.array(fc.oneof(
    fc.stringMatching(/^[a-z0-9 ]{0,6}$/),
    fc.stringMatching(/^-?[0-9]{1,4}([.,][0-9]{1,2})?$/),
    fc.array(fc.constantFrom('a', ',', ';', '\t', '|', '"', "'", '\n', '\r\n', '\r', 'é', '€', '😀', ' ', '#'), { maxLength: 6 }).map(parts => ({ quoted: parts.join('') }))
  ), { minLength: 60, maxLength: 60 }),
  pad: fc.constantFrom(...Array.from({ length: 39 }, () => false), true),
  trailingNewline: fc.boolean(),
  breakQuote: fc.constantFrom('none', 'none', 'none', 'unclosed', 'stray')
}).map(c => {
  let next = 0
  const cell = (value: string | { quoted: string }) => typeof value === 'string'
    ? value.replaceAll(c.delimiter, '').replaceAll(c.quote, '')
    : c.quote + value.quoted.replaceAll(c.quote, c.quote + c.quote) + c.quote
  const take = (n: number) => Array.from({ length: Math.max(1, n) }, () => cell(c.cells[next++ % c.cells.length]!)).join(c.delimiter)
  const names = Array.from({ length: c.width }, (_, i) => `name${i}`).join(c.delimiter)
  let text = (c.sep ? `sep=${c.delimiter}${c.end}` : '') + (c.comments === 'before' ? `# exported, by a tool${c.end}#${c.end}` : '')
  text += c.header ? names : take(c.width)
  // Padding rows push what follows past the first 64 KiB: read after the sniffed head, in chunks.
  for (let i = 0; c.pad && i < Math.ceil(1400 / c.width); i++) text += c.end + Array.from({ length: c.width }, (_, k) => `${i}${k}`.padEnd(50, 'z')).join(c.delimiter)
  for (const [i, row] of c.rows.entries()) {
    text += (row.blankBefore ? row.end : '') + row.end + take(c.width + row.delta)
    if (c.comments === 'inside' && i === 1) text += `${row.end}# a comment, inside`
  }
  if (c.trailingNewline) text += c.end
  if (c.breakQuote === 'unclosed') text += `${c.delimiter}${c.quote}never closed`
  if (c.breakQuote === 'stray') text = text.replace(c.delimiter, `${c.delimiter}x${c.quote}y`)
  return text
})

/** Asserts that every object `objects` generates agrees, under random chunkings. */
async function agreeOn (t: Test, objects: fc.Arbitrary<{ text: string, bytes: Buffer }>, numRuns: number): Promise<void> {
  await fc.assert(fc.asyncProperty(objects, cuts, async ({ text, bytes }, at) => {
    const problem = await disagreement(bytes, at)
    if (problem !== undefined) throw new Error(`${JSON.stringify(text)} as ${bytes.toString('hex').slice(0, 200)} cut at ${JSON.stringify(at)}: ${problem}`)
  }), { numRuns })
  t.pass(`${numRuns} inputs agree`)
}

t.test('random byte soup in every encoding: same verdict and counts under random chunkings', t => agreeOn(t, object(rawCsv), 1500))

t.test('generated CSV files in every dialect and encoding: same verdict and counts under random chunkings', t => agreeOn(t, object(structuredCsv), 1500))

t.test('bytes that are not UTF-8: read as Windows-1252 after only ASCII, refused after UTF-8, alike on both paths', async t => {
  const soup = fc.record({
    text: fc.array(fc.constantFrom('a', ',', ';', '\n', '"', 'é', '1'), { maxLength: 30 }).map(parts => parts.join('')),
    bad: fc.array(fc.record({ at: fc.nat(), byte: fc.constantFrom(0xe9, 0xfc, 0x80, 0xff, 0xc3, 0xe2) }), { minLength: 1, maxLength: 3 }),
    pad: fc.constantFrom(false, false, false, true)
  }).map(({ text, bad, pad }) => {
    const bytes = [...Buffer.from((pad ? 'a,b\n' + `${'x'.repeat(60)},2\n`.repeat(1100) : '') + text)]
    for (const { at, byte } of bad) bytes.splice(at % (bytes.length + 1), 0, byte)
    return { text, bytes: Buffer.from(bytes) }
  })
  await agreeOn(t, soup, 150)
})

t.test('the sniffer finds the dialect a well-formed file was written in', async t => {
  const wellFormed = fc.record({
    delimiter: fc.constantFrom(...DELIMITERS),
    end: lineEnd,
    sep: fc.boolean(),
    comments: fc.boolean(),
    encoding,
    width: fc.integer({ min: 2, max: 6 }),
    rows: fc.integer({ min: 2, max: 30 }),
    values: fc.array(fc.oneof(
      fc.stringMatching(/^[a-z]{1,8}$/),
      fc.stringMatching(/^[0-9]{1,3},[0-9]{2}$/),
      fc.array(fc.constantFrom('a', ',', ';', '\t', '|', '\n', 'é'), { minLength: 1, maxLength: 5 }).map(parts => `"${parts.join('')}"`)
    ), { minLength: 50, maxLength: 50 })
  })
  await fc.assert(fc.asyncProperty(wellFormed, cuts, async (c, at) => {
    const safe = (value: string) => value.startsWith('"') ? value : value.replaceAll(c.delimiter, '')
    let text = (c.sep ? `sep=${c.delimiter}${c.end}` : '') + (c.comments ? `# written by a test${c.end}` : '')
    text += Array.from({ length: c.width }, (_, i) => `column ${i}`).join(c.delimiter)
    for (let r = 0; r < c.rows; r++) text += c.end + Array.from({ length: c.width }, (_, i) => safe(c.values[(r * c.width + i) % c.values.length]!)).join(c.delimiter)
    const found = await extractCsvMetadata(() => split(encode(text, c.encoding), at))
    const expected = {
      delimiter: c.delimiter,
      quote: '"',
      escape: '"',
      header: true,
      comment: c.comments ? '#' : null,
      preamble_lines: c.sep ? 1 : 0,
      decided_by: c.sep ? 'sep= line' : `sniffed: ${c.rows + 1} of ${c.rows + 1} rows have ${c.width} fields`
    }
    // An ASCII file is UTF-8, whatever it was saved as.
    const encoding = c.encoding === 'windows-1252' && Buffer.from(text).every(byte => byte < 0x80) ? 'utf-8' : c.encoding
    const problem = JSON.stringify(found.dialect) !== JSON.stringify(expected) || found.encoding !== encoding || found.row_count !== c.rows
    if (problem) throw new Error(`${JSON.stringify(text)} in ${c.encoding}: ${JSON.stringify(found)}`)
  }), { numRuns: 300 })
  t.pass('300 files sniffed right')
})

t.test('every split position of tricky inputs', async t => {
  const tricky: Array<string | Buffer> = [
    '\ufeffa,"b\r\nc"\r\n1,"x""y"\r2,3\n\n"4",""\r\n',
    'h\r\n"a""\r\n"\r\n"😀é",x"y\r\n',
    'a,b\n"x"y,"z"\n"",""\n',
    'a\n"unclosed\n',
    'a,b\n1,2,3\n',
    'sep=;\r\nName;Note\r\n"x;y";1,5\r\n',
    '# note\r\n#\r\nid,name\r\n1,x\r\n# inside\r\n2,y\r\n',
    'a,b\n"",#c\n""#c,d\n',
    encode('Name\tNote\r\n"a\tb"\t😀\r\n', 'utf-16le'),
    encode('Name;Wert\r\nÄpfel;1,5\r\n€;2\r\n', 'windows-1252'),
    gzipSync('a|b\n1|2\n')
  ]
  let checked = 0
  for (const text of tricky) {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text)
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const second of [cut + 1, cut + 2, cut + 3]) {
        const problem = await disagreement(bytes, [cut, second])
        t.equal(problem, undefined, `${JSON.stringify(text)} cut at ${cut},${second}`)
        checked++
      }
    }
  }
  t.ok(checked > 600, `${checked} chunkings checked`)
})

t.test('counting-only mode, 64 bytes at a time, says what the field-by-field scan says', async t => {
  // Blocks of 64 bytes with quoted fields (delimiters, line ends and doubled quotes inside them, fields longer than a
  // block), quotes a block must give back (inside an unquoted field, a closing quote followed by text), line ends of
  // every kind, blank and comment lines, records of another width and over the size limit, in any chunking.
  const long = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789'
  const field = fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom('', 'x', '12345', long.slice(0, 26), '2026-12-06T19:30:00Z', long) },
    { weight: 10, arbitrary: fc.constantFrom('"q"', '"a,b;c\td|e"', '"l\nm\r\nn"', '""""', '""', `"${long}"`, `"said ""${long.slice(0, 40)}"", then ""ok"""`) },
    { weight: 1, arbitrary: fc.constantFrom('a"b', '"a"b', 'x""', '"a""') })
  const lineEnd = fc.constantFrom('\n', '\n', '\r\n', '\r', '\n\n', '\n# note, a "comment\n', '\r\n\r\n')
  const record = (width: number) => fc.array(field, { minLength: width, maxLength: width })
  const file = fc.record({
    width: fc.integer({ min: 1, max: 6 }),
    delimiter: fc.constantFrom(',', ';', '\t', '|'),
    comment: fc.constantFrom('#', null),
    limit: fc.constantFrom(24, 100, 300, DEFAULT_LIMITS.maxRecordBytes, DEFAULT_LIMITS.maxRecordBytes),
    cuts: fc.array(fc.nat(), { maxLength: 4 })
  }).chain(({ width, delimiter, comment, limit, cuts }) => fc.record({
    rows: fc.array(fc.tuple(fc.oneof({ weight: 19, arbitrary: record(width) }, { weight: 1, arbitrary: record(width + 1) }), lineEnd), { maxLength: 30 }),
    header: record(width),
    delimiter: fc.constant(delimiter),
    comment: fc.constant(comment),
    limit: fc.constant(limit),
    cuts: fc.constant(cuts)
  }))
  let quoted = 0
  fc.assert(fc.property(file, ({ header, rows, delimiter, comment, limit, cuts }) => {
    const text = header.join(delimiter) + '\n' + rows.map(([fields, end]) => fields.join(delimiter) + end).join('')
    const scanned = scan(split(Buffer.from(text), cuts), { delimiter, quote: '"', comment }, limit)
    if (scanned.gaveUp === undefined && scanned.rows > 2 && text.length > 256 && text.includes('"')) quoted++
    return scanned.gaveUp?.startsWith('counting-only') !== true
  }), { numRuns: 2000 })
  t.ok(quoted > 150, `${quoted} accepted files of several blocks with quoted fields`)
})

t.test('counting-only mode keeps no field whole, so a field over the scanner\'s 1 MiB carry is counted, not given up', async t => {
  const long = 'x'.repeat(1_500_000)
  for (const [label, field] of [['unquoted', long], ['quoted', `"${long}, with ""quotes"""`]]) {
    const bytes = Buffer.from(`a,b\n${field},1\n2,3\n`)
    const chunks = split(bytes, Array.from({ length: 40 }, (_, k) => k * 65_536 + 7))
    const comma = { delimiter: ',', quote: '"', comment: null }
    t.same(scanIn(chunks, comma, DEFAULT_LIMITS.maxRecordBytes, true), { gaveUp: undefined, rows: 2, fields: 2, blanks: 0 }, `${label}: counted`)
    t.equal(scanIn(chunks, comma, DEFAULT_LIMITS.maxRecordBytes, false).gaveUp, 'long-field', `${label}: profiling leaves it to csv-parse`)
  }
})

t.test('the scanner gives up on a record over the limit, before csv-parse would', async t => {
  const comma = { delimiter: ',', quote: '"', comment: null }
  const long = Buffer.from('a\n' + 'x'.repeat(100) + '\nb\n')
  t.equal(scan([long], comma, 50).gaveUp, 'record-size')
  t.equal(scan(split(long, [10, 20, 30, 40, 50, 60, 70]), comma, 50).gaveUp, 'record-size')
  t.equal(scan([Buffer.from('x'.repeat(100) + '\n')], comma, 50).gaveUp, 'header-size')
})

t.test('the scanner keeps the header it has not seen the end of as a copy: the caller may fill its buffer again', async t => {
  const text = Buffer.from('"first, column",second,third\n1,2,3\n')
  const buffer = Buffer.alloc(8)
  const scanner = new CsvScanner(1000, { delimiter: ',', quote: '"', comment: null })
  for (let at = 0; at < text.length; at += buffer.length) {
    const n = text.copy(buffer, 0, at, at + buffer.length)
    scanner.push(buffer.subarray(0, n))
    // Whatever the caller writes there next must not reach the header.
    buffer.fill('#')
  }
  scanner.end()
  t.equal(scanner.headerBytes?.toString(), '"first, column",second,third\n')
  t.equal(scanner.rows, 1)
})

t.test('the scanner takes its delimiter, quote and comment bytes as parameters', async t => {
  const text = Buffer.from("# c;x\n'a;b';c\n'1\n2';3\n# d\n4;5\n")
  t.same(scan(split(text, [3, 9, 17]), { delimiter: ';', quote: "'", comment: '#' }), { gaveUp: undefined, rows: 2, fields: 2 })
  t.same(scan([text], { delimiter: ';', quote: '"', comment: null }), { gaveUp: 'field-count', rows: 0, fields: 2 }, 'the same bytes in another dialect')
  t.throws(() => new CsvScanner(100, { delimiter: '€', quote: '"', comment: null }), RangeError)
})

t.test('chunks larger than the scanner\'s window, and records across window edges', async t => {
  const rows = Array.from({ length: 60_000 }, (_, i) => `${i},"quoted, with ""escapes""\r\nand a line break",${'x'.repeat(i % 50)}`)
  const bytes = Buffer.from('id,text,pad\n' + rows.join('\n') + '\n')
  t.ok(bytes.length > 3 * 1024 * 1024, `${bytes.length} bytes in one chunk`)
  t.same(scan([bytes], { delimiter: ',', quote: '"', comment: null }), { gaveUp: undefined, rows: 60_000, fields: 3 })
  t.equal((await extractCsvMetadata(() => [bytes])).row_count, (await parseFully(() => [bytes])).row_count)
})
