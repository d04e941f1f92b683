// Differential test: on thousands of generated CSVs, split into chunks at every position, the fast path
// (CsvScanner, then csv-parse for the header) gives the same rows, columns and verdict as csv-parse alone.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { CsvScanner } from '../../shared/csv-scan.ts'
import { extractCsvMetadata, parseFully, type CsvMetadata } from '../../shared/csv-metadata.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'

type Outcome = { ok: CsvMetadata } | { code: string, line: number | undefined }

async function outcome (run: () => Promise<CsvMetadata>): Promise<Outcome> {
  try {
    return { ok: await run() }
  } catch (err) {
    const { code, line } = err as { code: string, line?: number }
    return { code, line }
  }
}

/** Splits `bytes` at the given offsets. */
function split (bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(bytes.subarray(start, point))
    start = Math.max(start, point)
  }
  return chunks
}

/** What the scanner alone says about the bytes: rows and header width, or that it gave up. */
function scan (chunks: Buffer[], maxRecordBytes = DEFAULT_LIMITS.maxRecordBytes) {
  const scanner = new CsvScanner(maxRecordBytes)
  // As the extractor does, hand over the first bytes together, so a BOM is never split.
  const first = Math.max(1, chunks.findIndex((_, i) => Buffer.concat(chunks.slice(0, i + 1)).length >= 3) + 1)
  for (const chunk of [Buffer.concat(chunks.slice(0, first)), ...chunks.slice(first)]) scanner.push(chunk)
  scanner.end()
  return { gaveUp: scanner.gaveUp, rows: scanner.rows, fields: scanner.headerFields }
}

const SCANNER_VERDICTS = new Set(['extra-cell', 'missing-cell', 'unclosed-quote', 'record-too-large'])

/** Checks one input under one chunking; returns a description of the disagreement, or undefined. */
async function disagreement (bytes: Buffer, cuts: number[]): Promise<string | undefined> {
  const reference = await outcome(() => parseFully([bytes]))
  const chunks = split(bytes, cuts)
  const fast = await outcome(() => extractCsvMetadata(() => chunks))
  if (JSON.stringify(fast) !== JSON.stringify(reference)) {
    return `extractor ${JSON.stringify(fast)} != csv-parse ${JSON.stringify(reference)}`
  }
  const scanned = scan(chunks)
  if ('ok' in reference) {
    if (scanned.gaveUp !== undefined) return `the scanner gave up (${scanned.gaveUp}) on a file csv-parse accepts`
    if (scanned.rows !== reference.ok.row_count) return `scanner rows ${scanned.rows} != ${reference.ok.row_count}`
    if (scanned.fields !== reference.ok.column_count) return `scanner fields ${scanned.fields} != ${reference.ok.column_count}`
  } else if (SCANNER_VERDICTS.has(reference.code) && scanned.gaveUp === undefined) {
    return `the scanner accepted a file csv-parse rejects with ${reference.code}`
  }
  return undefined
}

// Bytes that matter to the grammar, plus multi-byte UTF-8 so characters get split across chunks.
const piece = fc.constantFrom('a', 'b', ' ', ',', ',', '"', '"', '""', '\n', '\r', '\r\n', '\n\n', 'é', '€', '😀', 'x"y', '"q"')
const rawCsv = fc.array(piece, { maxLength: 40 }).map(parts => parts.join(''))

const cell = fc.oneof(
  fc.stringMatching(/^[a-z0-9 ]{0,6}$/),
  fc.array(fc.constantFrom('a', ',', '"', '\n', '\r\n', '\r', 'é', '😀', ' '), { maxLength: 6 })
    .map(parts => `"${parts.join('').replace(/"/g, '""')}"`)
)
const lineEnd = fc.constantFrom('\n', '\r\n', '\r')
const structuredCsv = fc.record({
  bom: fc.boolean(),
  width: fc.integer({ min: 1, max: 5 }),
  rows: fc.array(fc.record({ delta: fc.constantFrom(0, 0, 0, 0, 0, 0, 1, -1), blankBefore: fc.boolean(), end: lineEnd }), { maxLength: 8 }),
  cells: fc.array(cell, { minLength: 60, maxLength: 60 }),
  trailingNewline: fc.boolean(),
  breakQuote: fc.constantFrom('none', 'none', 'none', 'unclosed', 'stray')
}).map(({ bom, width, rows, cells, trailingNewline, breakQuote }) => {
  let next = 0
  const take = (n: number) => Array.from({ length: Math.max(1, n) }, () => cells[next++ % cells.length]).join(',')
  let text = (bom ? '\ufeff' : '') + take(width)
  for (const row of rows) text += (row.blankBefore ? row.end : '') + row.end + take(width + row.delta)
  if (trailingNewline) text += '\n'
  if (breakQuote === 'unclosed') text += ',"never closed'
  if (breakQuote === 'stray') text = text.replace(',', ',x"y')
  return text
})

const cuts = fc.array(fc.nat(), { maxLength: 6 })

/** Asserts that every input `inputs` generates agrees, under random chunkings. */
async function agreeOn (t: Test, inputs: fc.Arbitrary<string>, numRuns: number): Promise<void> {
  await fc.assert(fc.asyncProperty(inputs, cuts, async (text, at) => {
    const problem = await disagreement(Buffer.from(text), at)
    if (problem !== undefined) throw new Error(`${JSON.stringify(text)} cut at ${JSON.stringify(at)}: ${problem}`)
  }), { numRuns })
  t.pass(`${numRuns} inputs agree`)
}

t.test('random byte soup: same verdict and counts under random chunkings', t => agreeOn(t, rawCsv, 3000))

t.test('generated CSV files: same verdict and counts under random chunkings', t => agreeOn(t, structuredCsv, 2000))

t.test('every split position of tricky inputs', async t => {
  const tricky = [
    '\ufeffa,"b\r\nc"\r\n1,"x""y"\r2,3\n\n"4",""\r\n',
    'h\r\n"a""\r\n"\r\n"😀é",x"y\r\n',
    'a,b\n"x"y,"z"\n"",""\n',
    'a\n"unclosed\n',
    'a,b\n1,2,3\n'
  ]
  let checked = 0
  for (const text of tricky) {
    const bytes = Buffer.from(text)
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const second of [cut + 1, cut + 2, cut + 3]) {
        const problem = await disagreement(bytes, [cut, second])
        t.equal(problem, undefined, `${JSON.stringify(text)} cut at ${cut},${second}`)
        checked++
      }
    }
  }
  t.ok(checked > 300, `${checked} chunkings checked`)
})

t.test('the scanner gives up on a record over the limit, before csv-parse would', async t => {
  const long = Buffer.from('a\n' + 'x'.repeat(100) + '\nb\n')
  t.equal(scan([long], 50).gaveUp, 'record-size')
  t.equal(scan(split(long, [10, 20, 30, 40, 50, 60, 70]), 50).gaveUp, 'record-size')
  t.equal(scan([Buffer.from('x'.repeat(100) + '\n')], 50).gaveUp, 'header-size')
})

t.test('chunks larger than the scanner\'s window, and records across window edges', async t => {
  const rows = Array.from({ length: 60_000 }, (_, i) => `${i},"quoted, with ""escapes""\r\nand a line break",${'x'.repeat(i % 50)}`)
  const bytes = Buffer.from('id,text,pad\n' + rows.join('\n') + '\n')
  t.ok(bytes.length > 3 * 1024 * 1024, `${bytes.length} bytes in one chunk`)
  t.same(scan([bytes]), { gaveUp: undefined, rows: 60_000, fields: 3 })
  t.equal((await extractCsvMetadata(() => [bytes])).row_count, (await parseFully([bytes])).row_count)
})
