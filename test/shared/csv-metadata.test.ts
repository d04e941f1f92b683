// The extractor on small CSVs: counts, headers, dialects, encodings, warnings and verdicts, whatever the chunk boundaries.
import t from 'tap'
import { gzipSync } from 'node:zlib'
import { extractCsvMetadata, type ByteSource } from '../../shared/csv-metadata.ts'
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

const utf16le = (text: string) => Buffer.from('\ufeff' + text, 'utf16le')
const utf16be = (text: string) => utf16le(text).swap16()
/** Windows-1252 for the characters these tests use: Latin-1, plus € ’ – in 0x80-0x9F. */
const windows1252 = (text: string) => Buffer.from([...text].map(c => ({ '€': 0x80, '’': 0x92, '–': 0x96 })[c] ?? c.charCodeAt(0)))
const comma = { delimiter: ',', quote: '"', escape: '"', header: true, comment: null, preamble_lines: 0 }

t.test('the seed sample gives 2 rows and 5 named columns, as before, and says how it was read', async t => {
  // The profile is new beside the seed's fields (csv-profile.test.ts checks it).
  const { profile, ...fields } = await extractCsvMetadata(() => chunks(SEED))
  t.equal(profile.rows, 2)
  t.same(fields, {
    row_count: 2,
    column_count: 5,
    column_names: ['id', 'name', 'age', 'city', 'date'],
    warnings: [],
    encoding: 'utf-8',
    compression: null,
    dialect: { ...comma, decided_by: 'sniffed: 3 of 3 rows have 5 fields' }
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
  ['header only, no line end', 'a,b', { rows: 0, columns: ['a', 'b'] }],
  ['one byte', 'a', { rows: 0, columns: ['a'] }],
  ['no trailing newline', 'a,b\n1,2', { rows: 1, columns: ['a', 'b'] }],
  ['one column', 'x\n1\n2\n3\n', { rows: 3, columns: ['x'] }],
  ['CRLF line endings', 'a,b\r\n1,2\r\n3,4\r\n', { rows: 2, columns: ['a', 'b'] }],
  ['a newline inside quotes does not start a row', 'a,b\n"line1\nline2",2\n', { rows: 1, columns: ['a', 'b'] }],
  ['quoted delimiters and escaped quotes', 'a,b\n"x,y","say ""hi"""\n', { rows: 1, columns: ['a', 'b'] }],
  ['blank lines are skipped', 'a,b\n\n1,2\n\n\n3,4\n\n', { rows: 2, columns: ['a', 'b'] }],
  ['a stray quote inside an unquoted field is kept as text', 'a,b\nx"y,6\'2"\n', { rows: 1, columns: ['a', 'b'] }],
  ['text after a closing quote is kept as text', 'a,b\n"x"y,2\n', { rows: 1, columns: ['a', 'b'] }],
  ['a header starting with # is a header, not a comment', '#,name\n1,x\n2,y\n', { rows: 2, columns: ['#', 'name'] }]
]
for (const [name, text, expected] of processed) {
  t.test(name, async t => {
    const result = await extractCsvMetadata(() => chunks(text))
    t.equal(result.row_count, expected.rows)
    t.same(result.column_names, expected.columns)
    t.equal(result.column_count, expected.columns.length)
  })
}

t.test('files shaped like the ones people have', async t => {
  const cases: Array<[string, string | Buffer, Record<string, unknown>]> = [
    ['an Excel "CSV UTF-8" export: BOM, CRLF, every field quoted',
      '\ufeff"id","name","note"\r\n"1","Zoë","says ""hi"", twice"\r\n"2","Jürgen","multi\r\nline"\r\n',
      { row_count: 2, column_names: ['id', 'name', 'note'], encoding: 'utf-8-bom', warningCodes: ['bom'], dialect: { ...comma, decided_by: 'sniffed: 3 of 3 rows have 3 fields' } }],
    ['an Excel Windows-1252 semicolon export with a sep= line',
      windows1252('sep=;\r\nKunde;Straße;Betrag\r\nMüller;Hauptstraße 1;1.234,50 €\r\nO’Neil;Weg – 2;7,00 €\r\n'),
      { row_count: 2, column_names: ['Kunde', 'Straße', 'Betrag'], encoding: 'windows-1252', warningCodes: ['non-utf8'], dialect: { ...comma, delimiter: ';', preamble_lines: 1, decided_by: 'sep= line' } }],
    ['a German decimal-comma file',
      'Artikel;Preis;Menge\nÄpfel;1,5;3\nBirnen;2,25;10\nKirschen;0,9;1\n',
      { row_count: 3, column_names: ['Artikel', 'Preis', 'Menge'], dialect: { ...comma, delimiter: ';', decided_by: 'sniffed: 4 of 4 rows have 3 fields' } }],
    ['a tab-separated file with quoted tabs',
      'id\ttext\n1\t"a\tb"\n2\t"c\td\te"\n',
      { row_count: 2, column_names: ['id', 'text'], dialect: { ...comma, delimiter: '\t', decided_by: 'sniffed: 3 of 3 rows have 2 fields' } }],
    ['a pipe-separated file',
      'id|name|city\n1|Ann|Oslo\n2|Bob|Rome\n',
      { row_count: 2, column_names: ['id', 'name', 'city'], dialect: { ...comma, delimiter: '|', decided_by: 'sniffed: 3 of 3 rows have 3 fields' } }],
    ['comment lines before the header, and one among the rows',
      '# exported by a tool\n# on 2026-11-24\nid,name\n1,x\n# subtotal\n2,y\n',
      { row_count: 2, column_names: ['id', 'name'], dialect: { ...comma, comment: '#', decided_by: 'sniffed: 3 of 3 rows have 2 fields' } }],
    ['UTF-16LE with a BOM, tab-separated, as Excel\'s "Unicode Text" writes',
      utf16le('Name\tStadt\tNotiz\r\nJosé\tZürich\t😀\r\nAnn\tOslo\t"a\tb"\r\n'),
      { row_count: 2, column_names: ['Name', 'Stadt', 'Notiz'], encoding: 'utf-16le', dialect: { ...comma, delimiter: '\t', decided_by: 'sniffed: 3 of 3 rows have 3 fields' } }],
    ['UTF-16BE with a BOM',
      utf16be('名前,都市\n太郎,東京\n'),
      { row_count: 1, column_names: ['名前', '都市'], encoding: 'utf-16be' }],
    ['a gzipped CSV',
      gzipSync('id,name\n1,x\n2,y\n'),
      { row_count: 2, column_names: ['id', 'name'], compression: 'gzip', encoding: 'utf-8' }],
    ['a gzipped Windows-1252 semicolon file',
      gzipSync(windows1252('Name;Preis\nCafé;2,50 €\n')),
      { row_count: 1, column_names: ['Name', 'Preis'], compression: 'gzip', encoding: 'windows-1252', warningCodes: ['non-utf8'] }],
    ['a semicolon file with a comma inside a value (it failed with extra-cell before)',
      'name;note\nx;a, b and c\ny;plain\n',
      { row_count: 2, column_names: ['name', 'note'], dialect: { ...comma, delimiter: ';', decided_by: 'sniffed: 3 of 3 rows have 2 fields' } }],
    ['numbers only: the first row is data, and the columns are named',
      '1,2.5,2026-01-01\n3,4.5,2026-01-02\n',
      { row_count: 2, column_names: ['column_1', 'column_2', 'column_3'], dialect: { ...comma, header: false, decided_by: 'sniffed: 2 of 2 rows have 3 fields' } }],
    ['backslash-escaped quotes: csv-parse reads the file',
      'id,text\n1,"say \\"hi, there\\""\n2,"plain"\n',
      { row_count: 2, column_names: ['id', 'text'], dialect: { ...comma, escape: '\\', decided_by: 'sniffed: 3 of 3 rows have 2 fields' } }]
  ]
  for (const [name, body, expected] of cases) {
    const { warningCodes = [], ...fields } = expected
    for (const size of [Infinity, 3]) {
      const result = await extractCsvMetadata(() => chunks(body, size))
      t.match(result, fields, `${name} (chunks of ${size})`)
      t.same(result.warnings.map(w => w.code), warningCodes, `${name}: warnings`)
    }
  }
})

t.test('a comma file whose quoted values hold semicolons and line breaks stays comma-separated', async t => {
  // Read with ";", its quoted line breaks cut it into more records (1, 2, 2, 2, 2 fields) than "," does (6, 6, 6).
  const text = 'column 0,column 1,column 2,column 3,column 4,column 5\na,";","\n;","a","a",000\n"a",000,";\n","a",000,";a"'
  const found = await extractCsvMetadata(() => [Buffer.from(text)])
  t.match(found, { row_count: 2, column_count: 6, dialect: { delimiter: ',', decided_by: 'sniffed: 3 of 3 rows have 6 fields' } })
})

t.test('a semicolon header over one-column rows stays one column, with the possible-delimiter warning', async t => {
  const result = await extractCsvMetadata(() => chunks('a;b\n1\n2\n3\n'))
  t.same(result.column_names, ['a;b'])
  t.equal(result.dialect.decided_by, 'default')
  t.same(result.warnings.map(w => w.code), ['possible-delimiter'])
})

t.test('Windows-1252 bytes 0x80-0x9F become the characters Excel meant', async t => {
  const result = await extractCsvMetadata(() => chunks(windows1252('€,’,–\n1,2,3\n')))
  t.same(result.column_names, ['€', '’', '–'])
  t.match(result.warnings, [{ code: 'non-utf8', line: 1 }])
})

t.test('a byte that is not UTF-8 late in an ASCII file: the file is read again, as Windows-1252, and the warning names its line', async t => {
  const body = Buffer.concat([Buffer.from('id,city\n' + '1,Oslo\n'.repeat(20_000)), windows1252('2,Zürich\n3,Genève\n')])
  let opened = 0
  const result = await extractCsvMetadata(() => { opened++; return chunks(body, 16 * 1024) })
  t.equal(opened, 2, 'opened twice: UTF-8 until that byte, then Windows-1252 from the start')
  t.equal(result.encoding, 'windows-1252')
  t.equal(result.row_count, 20_002)
  t.same(result.warnings, [{ code: 'non-utf8', line: 20_002, byte: 140_011, message: result.warnings[0]?.message }], 'the byte of ü: 8 + 20,000 × 7 + 3')
  t.match(result.warnings[0]?.message, /Line 20002 .*Windows-1252/)
})

t.test('the same file is read once as UTF-8 when it is UTF-8', async t => {
  let opened = 0
  const result = await extractCsvMetadata(() => { opened++; return chunks('id,city\n' + '1,Oslo\n'.repeat(20_000) + '2,Zürich\n', 16 * 1024) })
  t.equal(opened, 1)
  t.equal(result.encoding, 'utf-8')
})

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
  // The line on which the row with the open quote starts, not the end of the file.
  ['an unclosed quote', 'a,b\n1,"open\n2,3\n', 'unclosed-quote', 2],
  ['a semicolon file whose rows disagree, after a sep= line', 'sep=;\na;b\n1;2\n3;4;5\n', 'extra-cell', 4],
  ['a ragged tab-separated file', 'a\tb\tc\n1\t2\t3\n4\t5\t6\n7\t8\n', 'missing-cell', 4],
  ['PNG bytes', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'binary-file', undefined],
  ['a gzipped PNG', gzipSync(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'binary-file', undefined],
  ['a legacy Excel workbook (.xls)', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0]), 'binary-file', undefined],
  ['a NUL byte', 'a,b\n1,\u00002\n', 'binary-file', undefined],
  ['UTF-16 without a BOM', Buffer.from('a,b\n1,2\n', 'utf16le'), 'binary-file', undefined],
  ['a NUL character in UTF-16', utf16le('a,b\n1,\u00002\n'), 'binary-file', undefined],
  ['a cut-short gzip file', gzipSync(Array.from({ length: 2000 }, (_, n) => `${n},${n * n}\n`).join('')).subarray(0, 2000), 'corrupt-gzip', undefined],
  ['gzip magic bytes and nothing more', Buffer.from([0x1f, 0x8b, 0x08, 0x00]), 'corrupt-gzip', undefined],
  ['a gzip file that inflates to nothing', gzipSync(''), 'empty-file', undefined],
  ['UTF-8 text, then a byte that is not', Buffer.concat([Buffer.from('name\ncafé\n'), Buffer.from([0x61, 0xe9, 0x0a])]), 'encoding-error', 3],
  ['a truncated UTF-8 character at the end of UTF-8 text', Buffer.concat([Buffer.from('€\n'), Buffer.from([0xe2, 0x82])]), 'encoding-error', 2],
  ['UTF-16 with an odd number of bytes', Buffer.concat([utf16le('a,b\r\n1,2\r\n3,'), Buffer.from([0x34])]), 'encoding-error', 3],
  ['UTF-16 with an unpaired surrogate', Buffer.concat([utf16le('a,b\n1,2\n'), Buffer.from([0x00, 0xd8, 0x41, 0x00]), Buffer.from('\n', 'utf16le')]), 'encoding-error', 3]
]
for (const [name, input, code, line] of failed) {
  t.test(`${name} fails with ${code}`, async t => {
    for (const size of [Infinity, 3]) {
      const err = await extractCsvMetadata(() => chunks(input, size)).then(() => undefined, (e: unknown) => e)
      t.type(err, ProcessingError)
      t.match(err, { code, line })
      t.ok((err as Error).message.length > 20, 'the message says what to do')
    }
  })
}

t.test('compressions other than gzip are named, with what to do', async t => {
  // What bzip2, xz and zstd write for a,b\n1,2\n (made once with their command-line tools).
  const compressed: Array<[string, string]> = [
    ['bzip2', '425a6839314159265359bf87407f00000359000010000430003000200030c00869b28823278bb9229c28485fc3a03f80'],
    ['xz', 'fd377a585a000004e6d6b4460200210116000000742fe5a3010007612c620a312c320a00be9cbd49b5122afe00012008bb19d9bb1fb6f37d010000000004595a'],
    ['Zstandard', '28b52ffd0458410000612c620a312c320a35e7cace']
  ]
  for (const [name, hex] of compressed) {
    await t.rejects(extractCsvMetadata(() => chunks(Buffer.from(hex, 'hex'))), { code: 'binary-file', message: new RegExp(`^The file is a ${name}-compressed file, not CSV text\\. Only gzip is decompressed`) }, name)
  }
  t.same((await extractCsvMetadata(() => chunks('BZh9,b\n1,2\n'))).column_names, ['BZh9', 'b'], 'a text that starts as bzip2 does is still text')
})

t.test('UTF-16 without a BOM is named in the message', async t => {
  await t.rejects(extractCsvMetadata(() => chunks(Buffer.from('a,b\n1,2\n', 'utf16le'))), { message: /UTF-16 without a byte order mark/ })
})

t.test('a gzip bomb ends in decompressed-too-large, not a full read', async t => {
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 'a,b\n'))
  t.ok(bomb.length < 100_000, `${bomb.length} bytes of gzip`)
  const limits = { ...DEFAULT_LIMITS, maxDecompressedBytes: 16 * 1024 * 1024 }
  await t.rejects(extractCsvMetadata(() => chunks(bomb, 16 * 1024), limits), { code: 'decompressed-too-large', message: /more than 16777216 bytes/ })
})

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
  async function * brokenGzip () {
    yield gzipSync('a,b\n'.repeat(100_000)).subarray(0, 2000)
    throw new Error('connection reset')
  }
  await t.rejects(extractCsvMetadata(brokenGzip), { message: 'connection reset' })
})

t.test('the object is closed however the read ends', async t => {
  let closed = 0
  const tracked = (body: Buffer): () => ByteSource => () => (async function * () {
    try {
      for (const chunk of chunks(body, 1024)) yield chunk
    } finally {
      closed++
    }
  })()
  const verdicts: Array<[string, Buffer]> = [
    ['a verdict in the first bytes', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(5000, 0x41)])],
    ['a ragged row after 64 KiB', Buffer.from('a,b\n' + '1,2\n'.repeat(20_000) + '3\n' + '4,5\n'.repeat(10_000))],
    ['gzip, refused as too large', gzipSync(Buffer.alloc(8 * 1024 * 1024, 'a,b\n'))]
  ]
  for (const [name, body] of verdicts) {
    closed = 0
    let opened = 0
    const open = tracked(body)
    await t.rejects(extractCsvMetadata(() => { opened++; return open() }, { ...DEFAULT_LIMITS, maxDecompressedBytes: 1024 * 1024 }), ProcessingError, name)
    t.equal(closed, opened, `${name}: every read was closed`)
  }
})

t.test('a reused WebAssembly instance carries nothing from the file it read before', async t => {
  const small = 'id,when,score\n1,2024-01-02,3.5\n2,2024-02-03,\n'
  // Many distinct values, long fields, a date column and more columns than the small file: state to leave behind.
  const wide = ['c0,c1,c2,c3,c4,c5', ...Array.from({ length: 3000 }, (_, i) => `${i},x${'y'.repeat(i % 300)},2020-01-0${1 + i % 9},true,"q""${i}",${i / 7}`)].join('\n')
  const slowPath = 'a,b\n1,"x"y\n2,3\n' // text after a closing quote: csv-parse reads it, profiling one value at a time
  const ragged = 'a,b\n1,2\n3\n'
  const alone = await extractCsvMetadata(() => chunks(small))
  const slowAlone = await extractCsvMetadata(() => chunks(slowPath))
  await extractCsvMetadata(() => chunks(wide, 4096))
  await t.rejects(extractCsvMetadata(() => chunks(ragged)), { code: 'missing-cell' })
  t.same(await extractCsvMetadata(() => chunks(small)), alone, 'the scanner\'s path, after a wide file and a failed one')
  t.same(await extractCsvMetadata(() => chunks(slowPath)), slowAlone, 'the one-value-at-a-time path too')
  // Read at the same time, each has an instance of its own.
  const both = await Promise.all([extractCsvMetadata(() => chunks(wide, 1000)), extractCsvMetadata(() => chunks(small, 3))])
  t.same(both[1], alone)
  t.equal(both[0].row_count, 3000)
})
