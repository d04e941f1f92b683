// The extractor on small CSVs: counts, headers, warnings and verdicts, whatever the chunk boundaries.
import t from 'tap'
import { extractCsvMetadata } from '../../shared/csv-metadata.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'
import { ProcessingError } from '../../shared/processing-error.ts'
import { SEED } from '../helpers/sample.ts'

/** The bytes of `text` cut into chunks of `size` bytes. */
function chunks (text: string | Buffer, size = Infinity): Uint8Array[] {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text)
  const out: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

t.test('the seed sample gives 2 rows and 5 named columns', async t => {
  t.same(await extractCsvMetadata(() => chunks(SEED)), {
    row_count: 2,
    column_count: 5,
    column_names: ['id', 'name', 'age', 'city', 'date'],
    warnings: []
  })
})

t.test('the result does not depend on where chunks split the bytes', async t => {
  const text = 'a,b,c\r\n"x\r\ny",2,"he said ""hi"""\r\né,ü,€\r\n'
  for (const size of [1, 2, 3, 5, 7, 64]) {
    const result = await extractCsvMetadata(() => chunks(text, size))
    t.equal(result.row_count, 2, `chunk size ${size}`)
    t.same(result.column_names, ['a', 'b', 'c'])
  }
})

const processed: Array<[string, string, { rows: number, columns: string[] }]> = [
  ['header only', 'a,b\n', { rows: 0, columns: ['a', 'b'] }],
  ['no trailing newline', 'a,b\n1,2', { rows: 1, columns: ['a', 'b'] }],
  ['one column', 'x\n1\n2\n3\n', { rows: 3, columns: ['x'] }],
  ['CRLF line endings', 'a,b\r\n1,2\r\n3,4\r\n', { rows: 2, columns: ['a', 'b'] }],
  ['a newline inside quotes does not start a row', 'a,b\n"line1\nline2",2\n', { rows: 1, columns: ['a', 'b'] }],
  ['quoted delimiters and escaped quotes', 'a,b\n"x,y","say ""hi"""\n', { rows: 1, columns: ['a', 'b'] }],
  ['blank lines are skipped', 'a,b\n\n1,2\n\n\n3,4\n\n', { rows: 2, columns: ['a', 'b'] }],
  ['a stray quote inside an unquoted field is kept as text', 'a,b\nx"y,6\'2"\n', { rows: 1, columns: ['a', 'b'] }],
  ['text after a closing quote is kept as text', 'a,b\n"x"y,2\n', { rows: 1, columns: ['a', 'b'] }]
]
for (const [name, text, expected] of processed) {
  t.test(name, async t => {
    const result = await extractCsvMetadata(() => chunks(text))
    t.equal(result.row_count, expected.rows)
    t.same(result.column_names, expected.columns)
    t.equal(result.column_count, expected.columns.length)
  })
}

t.test('oddities in the header become warnings', async t => {
  const result = await extractCsvMetadata(() => chunks('\ufeffid,id,,name\n1,2,3,4\n'))
  t.same(result.column_names, ['id', 'id', '', 'name'], 'the BOM is stripped from the first name')
  t.same(result.warnings.map(w => w.code), ['bom', 'duplicate-label', 'blank-label'])
})

const failed: Array<[string, string | Buffer, string, number | undefined]> = [
  ['empty file', '', 'empty-file', undefined],
  ['only blank lines', '\n\n\n', 'blank-header', 1],
  ['blank header fields', ' , \n1,2\n', 'blank-header', 1],
  ['a row with an extra field', 'a,b\n1,2\n3,4,5\n', 'extra-cell', 3],
  ['a row with a missing field', 'a,b,c\n1,2,3\n4,5\n', 'missing-cell', 3],
  ['an unclosed quote', 'a,b\n1,"open\n2,3\n', 'unclosed-quote', 3],
  ['PNG bytes', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'binary-file', undefined],
  ['gzip bytes', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), 'binary-file', undefined],
  ['a NUL byte', 'a,b\n1,\u00002\n', 'binary-file', undefined],
  ['UTF-16', Buffer.from('\ufeffa,b\n', 'utf16le'), 'encoding-error', undefined],
  ['Latin-1 bytes', Buffer.from('name\ncaf\xe9\n', 'latin1'), 'encoding-error', undefined],
  ['a truncated UTF-8 character at the end', Buffer.from([0x61, 0x0a, 0xc3]), 'encoding-error', undefined]
]
for (const [name, input, code, line] of failed) {
  t.test(`${name} fails with ${code}`, async t => {
    const err = await extractCsvMetadata(() => chunks(input)).then(() => undefined, (e: unknown) => e)
    t.type(err, ProcessingError)
    t.match(err, { code, line })
    t.ok((err as Error).message.length > 20, 'the message says what to do')
  })
}

t.test('limits end in a clear failure instead of unbounded memory', async t => {
  await t.rejects(extractCsvMetadata(() => chunks('a,b,c\n1,2,3\n'), { ...DEFAULT_LIMITS, maxColumns: 2 }), { code: 'too-many-columns' })
  const bigField = 'a\n' + 'x'.repeat(5000) + '\n'
  await t.rejects(extractCsvMetadata(() => chunks(bigField, 512), { ...DEFAULT_LIMITS, maxRecordBytes: 1024 }), { code: 'record-too-large', line: 2 })
})

t.test('a failing source is not mistaken for a verdict', async t => {
  async function * broken () {
    yield Buffer.from('a,b\n')
    throw new Error('connection reset')
  }
  await t.rejects(extractCsvMetadata(broken), { message: 'connection reset' })
})
