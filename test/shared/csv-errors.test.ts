// Errors as validation tools report them: a count per code, the first examples located by line and byte offset in
// the decoded text, whatever the encoding, compression, line endings or chunk boundaries; bounded however many.
import t, { type Test } from 'tap'
import { gzipSync } from 'node:zlib'
import { extractCsvMetadata, parseFully } from '../../shared/csv-metadata.ts'
import { RecordStarts } from '../../shared/csv-locate.ts'
import { processingRecord, verdictRecord } from '../../shared/file-record.ts'
import { ProcessingError } from '../../shared/processing-error.ts'
import { MAX_EXAMPLES, type ProblemCount } from '../../shared/problems.ts'

function chunks (bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

/** The verdict on `body`, the same under every chunking (checked), without messages. */
async function verdictOn (t: Test, body: string | Buffer, sizes = [Infinity, 1, 2, 7, 4096]): Promise<{ code: string, line?: number, byte?: number, errors: ProblemCount[] }> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body)
  const seen: string[] = []
  let err: ProcessingError | undefined
  for (const size of sizes) {
    err = await extractCsvMetadata(() => chunks(bytes, size)).then(() => undefined, (e: unknown) => e as ProcessingError)
    t.type(err, ProcessingError, `fails (chunks of ${size})`)
    seen.push(JSON.stringify([err?.code, err?.line, err?.byte, err?.problems]))
  }
  t.same(new Set(seen).size, 1, 'the same verdict under every chunking')
  const { code, line, byte, problems } = err!
  return { code, line, byte, errors: problems.map(p => ({ ...p, examples: p.examples.map(({ message: _m, ...at }) => at) })) as ProblemCount[] }
}

/** The byte offset of the n-th occurrence (0-based) of `what` in the UTF-8 text. */
const offsetOf = (text: string, what: string, n = 0): number => {
  let at = -1
  for (let i = 0; i <= n; i++) at = text.indexOf(what, at + 1)
  return Buffer.byteLength(text.slice(0, at))
}

t.test('every ragged row is counted, by code, with the first examples located', async t => {
  const text = 'a,b\n1,2\n3,4,5\n6\n7,8\n9,10,11\n12\n'
  const found = await verdictOn(t, text)
  t.match(found, { code: 'extra-cell', line: 3, byte: 8 }, 'error: the first problem, as before')
  t.same(found.errors, [
    { code: 'extra-cell', count: 2, examples: [{ line: 3, byte: 8 }, { line: 6, byte: offsetOf(text, '9,10') }] },
    { code: 'missing-cell', count: 2, examples: [{ line: 4, byte: offsetOf(text, '6\n') }, { line: 7, byte: offsetOf(text, '12\n') }] }
  ])
})

t.test('CRLF, a quoted field over several lines, blank and comment lines before the ragged row', async t => {
  // A CRLF inside quotes is one line break (csv-parse's own count takes it for two).
  const text = '# exported\r\nid,note\r\n1,"two\r\nlines"\r\n\r\n# subtotal\r\n2\r\n3,"x\r\ny",z\r\n'
  const found = await verdictOn(t, text)
  t.same(found.errors, [
    { code: 'missing-cell', count: 1, examples: [{ line: 7, byte: offsetOf(text, '2\r\n') }] },
    { code: 'extra-cell', count: 1, examples: [{ line: 8, byte: offsetOf(text, '3,"x') }] }
  ])
})

t.test('an Excel sep= line and a BOM count in offsets and lines: the offset is in the object as stored', async t => {
  const body = Buffer.from('\ufeffsep=;\r\na;b\r\n1;2;3\r\n')
  const found = await verdictOn(t, body)
  t.same(found.errors, [{ code: 'extra-cell', count: 1, examples: [{ line: 3, byte: body.indexOf('1;2;3') }] }])
})

t.test('Windows-1252, UTF-16 and gzip: the offset is in the text decoded to UTF-8', async t => {
  const text = 'name,city\nJosé,Zürich\nAnn\n'
  const utf8Offset = offsetOf(text, 'Ann')
  t.equal(utf8Offset, Buffer.from(text, 'latin1').indexOf('Ann') + 2, 'é and ü take two bytes in UTF-8, one in Windows-1252')
  for (const [name, body] of [
    ['windows-1252', Buffer.from(text, 'latin1')],
    ['utf-16le', Buffer.from('\ufeff' + text, 'utf16le')],
    ['gzip', gzipSync(text)]
  ] as const) {
    const bom = name === 'utf-16le' ? 3 : 0
    const found = await verdictOn(t, body)
    t.same(found.errors, [{ code: 'missing-cell', count: 1, examples: [{ line: 3, byte: bom + utf8Offset }] }], name)
  }
})

t.test('a problem that stops reading is counted after the ragged rows before it; the first one found stays the error', async t => {
  const text = 'a,b\n1\n2\n3,"never closed\n4,5\n'
  const found = await verdictOn(t, text)
  t.match(found, { code: 'missing-cell', line: 2, byte: 4 })
  t.same(found.errors, [
    { code: 'missing-cell', count: 2, examples: [{ line: 2, byte: 4 }, { line: 3, byte: 6 }] },
    { code: 'unclosed-quote', count: 1, examples: [{ line: 4, byte: offsetOf(text, '3,"') }] }
  ])
  const err = await extractCsvMetadata(() => [Buffer.from(text)]).catch((e: unknown) => e as ProcessingError)
  t.match(err, { message: /^Line 2 has 1 fields .* And 2 more problem\(s\)/ }, 'the message says there is more')
})

t.test('encoding errors are located: UTF-8 then a byte that is not, after ragged rows; UTF-16 cut short', async t => {
  // The decoder works ahead of the parser (by the first 64 KiB, then by a chunk): rows before the bad byte are
  // counted when the parser has reached them, here in every chunking but one chunk of the whole file.
  const utf8 = Buffer.concat([Buffer.from('name,n\ncafé,1\n2\n' + 'x,1\n'.repeat(20_000)), Buffer.from([0x61, 0xe9, 0x0a])])
  t.same((await verdictOn(t, utf8, [1, 7, 4096])).errors, [
    { code: 'missing-cell', count: 1, examples: [{ line: 3, byte: 15 }] },
    { code: 'encoding-error', count: 1, examples: [{ line: 20_004, byte: utf8.length - 2 }] }
  ])
  const utf16 = Buffer.concat([Buffer.from('\ufeffa,b\r\n1,2\r\n3,', 'utf16le'), Buffer.from([0x34])])
  t.same((await verdictOn(t, utf16)).errors, [{ code: 'encoding-error', count: 1, examples: [{ line: 3, byte: 3 + Buffer.byteLength('a,b\r\n1,2\r\n3,') }] }])
})

t.test('100,000 ragged rows: every one counted, 5 examples kept, a verdict of constant size', async t => {
  const rows = (n: number) => 'a,b\n' + '1,2\n'.repeat(1000) + '3\n'.repeat(n)
  const sizes: number[] = []
  for (const n of [10, 100_000]) {
    const err = await extractCsvMetadata(() => chunks(Buffer.from(rows(n)), 64 * 1024)).catch((e: unknown) => e as ProcessingError)
    t.type(err, ProcessingError)
    const [missing] = (err as ProcessingError).problems
    t.equal(missing?.count, n, `${n} rows counted`)
    t.equal(missing?.examples.length, Math.min(n, MAX_EXAMPLES))
    t.same(missing?.examples.map(e => e.line), [1002, 1003, 1004, 1005, 1006].slice(0, n))
    sizes.push(JSON.stringify((err as ProcessingError).problems).length)
  }
  t.ok(sizes[1]! - sizes[0]! <= 5, `the summary does not grow with the rows (${sizes.join(' vs ')} characters)`)
})

t.test('header warnings are located too, alike on both paths', async t => {
  const body = Buffer.from('\n\nid,id,\n1,2,3\n')
  const fast = await extractCsvMetadata(() => [body])
  t.same(fast.warnings.map(({ message: _m, ...w }) => w), [
    { code: 'duplicate-label', line: 3, byte: 2 },
    { code: 'blank-label', line: 3, byte: 2 },
    { code: 'blank-row' }
  ])
  t.same((await parseFully(() => [body])).warnings, fast.warnings, 'csv-parse alone says the same')
})

t.test('RecordStarts skips blank and comment lines, across any chunk boundary, and counts lines once per CRLF', async t => {
  const text = Buffer.from('\r\n# c\r\n\rx,y\r\n\n"a\r\nb"\n#\nz\r')
  for (const size of [1, 2, 3, 100]) {
    const starts = new RecordStarts('#')
    const seen: Array<[number, number]> = []
    // Where csv-parse says each record ends; it says so once it has read that far.
    const ends = [text.indexOf('x,y') + 5, text.indexOf('b"') + 3, text.length]
    let added = 0
    for (const chunk of chunks(text, size)) {
      starts.add(chunk)
      added += chunk.length
      while (ends.length > 0 && ends[0]! <= added) {
        const start = starts.next(ends.shift()!)
        seen.push([start.byte, start.line])
      }
    }
    t.same(seen, [[text.indexOf('x,y'), 4], [text.indexOf('"a'), 6], [text.indexOf('z'), 9]], `chunks of ${size}`)
  }
})

t.test('a failed record carries errors beside error', async t => {
  const started = processingRecord({ key: 'a.csv', eventTime: '2026-11-25T10:00:00.000Z', size: 10, etag: '"e"' })
  const err = await extractCsvMetadata(() => [Buffer.from('a,b\n1\n2\n')]).catch((e: unknown) => e as ProcessingError)
  const record = verdictRecord(started, err as ProcessingError, new Date('2026-11-25T10:00:01.000Z'))
  t.match(record, {
    status: 'failed',
    error: { code: 'missing-cell', line: 2, byte: 4 },
    errors: [{ code: 'missing-cell', count: 2, examples: [{ line: 2, byte: 4 }, { line: 3, byte: 6 }] }]
  })
  const single = verdictRecord(started, new ProcessingError('empty-file', 'The file is empty.'))
  t.same(single.errors, [{ code: 'empty-file', count: 1, examples: [{ message: 'The file is empty.' }] }], 'a verdict from the first bytes: one entry, no place')
})
