// The column profile on small files whose answer is known: the seed's sample, each type's edge cases, the digest,
// samples, wide files and the paths a profile can take (fast, csv-parse, headerless).
import t from 'tap'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { ColumnProfile } from '../../shared/column-profile.ts'
import { extractCsvMetadata, parseFully } from '../../shared/csv-metadata.ts'
import { SEED } from '../helpers/sample.ts'

const column = async (values: string[], name = 'v') => {
  const text = `${name}\n${values.map(v => /[",\n]/.test(v) || v === '' ? `"${v.replaceAll('"', '""')}"` : v).join('\n')}\n`
  const fast = await extractCsvMetadata(() => [Buffer.from(text)])
  const slow = await parseFully(() => [Buffer.from(text)])
  return { fast: fast.profile.columns[0]!, slow: slow.profile.columns[0]! }
}

t.test('the seed sample: the seed\'s fields as before, and a profile of its five columns', async t => {
  const found = await extractCsvMetadata(() => [Buffer.from(SEED)])
  t.match(found, { row_count: 2, column_count: 5, column_names: ['id', 'name', 'age', 'city', 'date'], warnings: [], encoding: 'utf-8', compression: null })
  t.equal(found.profile.sha256, createHash('sha256').update(SEED).digest('hex'))
  t.same(found.profile.columns.map(c => [c.name, c.type, c.formats, c.min, c.max]), [
    ['id', 'integer', ['123'], 1, 2],
    ['name', 'string', [], null, null],
    ['age', 'integer', ['123'], 25, 30],
    ['city', 'string', [], null, null],
    ['date', 'date', ['YYYY-MM-DD'], '2024-01-01', '2024-01-02']
  ])
  t.same({ ...found.profile, sha256: '' }, { ...(await parseFully(() => [Buffer.from(SEED)])).profile, sha256: '' }, 'csv-parse\'s path profiles alike')
})

t.test('decimal commas and grouped thousands are numbers where semicolons delimit, as a German Excel writes them', async t => {
  // Excel's "CSV" on a German Windows: a sep= line, Windows-1252 (ß, ä), amounts with decimal commas and thousands
  // grouped by points, day-first dates.
  const excel = Buffer.from('sep=;\r\nKunde;Straße;Betrag;Menge;Datum;Geändert\r\n' +
    'Müller;Hauptstr. 1;1.234,50;3;31.01.2026;31.01.2026 17:05\r\nSchäfer;Ring 7;-0,75;1,5;01.02.2026;01.02.2026 08:00:30\r\n', 'latin1')
  for (const read of [extractCsvMetadata, parseFully]) {
    const found = await read(() => [excel])
    t.match(found, { encoding: 'windows-1252', dialect: { delimiter: ';' }, column_names: ['Kunde', 'Straße', 'Betrag', 'Menge', 'Datum', 'Geändert'] })
    t.same(found.profile.columns.map(c => [c.type, c.formats, c.min, c.max]), [
      ['string', [], null, null], ['string', [], null, null], ['number', ['1,5', '1.234,5'], -0.75, 1234.5], ['number', ['123', '1,5'], 1.5, 3],
      ['date', ['DD.MM.YYYY'], '2026-01-31', '2026-02-01'],
      ['datetime', ['DD.MM.YYYY HH:MM', 'DD.MM.YYYY HH:MM:SS'], '2026-01-31T17:05:00', '2026-02-01T08:00:30']
    ], read.name)
  }
  const comma = await column(['1234,50', '-0,75'])
  t.match(comma.fast, { type: 'string', formats: [] }, 'where commas delimit, a point is the decimal mark: a quoted 1234,50 is text')
})

t.test('the decimal mark is the one every number of the column fits; 1,234 and 1.234 alone read as the delimiter suggests', async t => {
  const profiles = async (text: string) => (await extractCsvMetadata(() => [Buffer.from(text)])).profile.columns.map(c => [c.type, c.formats, c.min, c.max])
  // Where tabs delimit, the German Excel's "Unicode text" export among them, either mark; a column both fit reads the point.
  t.same(await profiles('a\tb\tc\n1,5\t1,234\t1.234\n2\t2,500\t2.5\n'), [
    ['number', ['123', '1,5'], 1.5, 2], ['integer', ['1,234'], 1234, 2500], ['number', ['1.5'], 1.234, 2.5]
  ])
  // Where semicolons delimit, the comma.
  t.same(await profiles('a;b\n1,234;1.234\n2,500;12.345\n'), [['number', ['1,5'], 1.234, 2.5], ['integer', ['1.234'], 1234, 12345]])
  t.same(await profiles('a;b\n1.234;1,5\n2,5;1.5\n'), [['number', ['1,5', '1.234'], 2.5, 1234], ['string', [], null, null]],
    'a comma decides 1.234; a point and a comma as decimal marks in one column make text')
  // A French Excel groups thousands with U+00A0 (U+202F in newer Windows); either decimal mark may follow a space.
  t.same(await profiles('Montant;Quantité\n1\u00a0234,56;1\u202f000\n-12 345,5;12\n'), [['number', ['1 234,5'], -12345.5, 1234.56], ['integer', ['123', '1 234'], 12, 1000]])
})

const cases: Array<[string, string[], Partial<ColumnProfile>]> = [
  ['integers, a signed zero and leading zeros', ['-0', '007', '+5', '12'], { type: 'integer', formats: ['123', '0123'], min: -0, max: 12, mean: 6 }],
  ['a decimal widens integers to number', ['1', '2.5', '1e2'], { type: 'number', formats: ['123', '1.5', '1e3'], min: 1, max: 100 }],
  ['padded numbers are strings', [' 12', '12'], { type: 'string', formats: [], min: null, mean: null }],
  ['thousands grouped by commas, as Excel writes numbers where commas delimit', ['1,234.50', '12,345,678', '-0.5', '1,000'],
    { type: 'number', formats: ['1.5', '1,234', '1,234.5'], min: -0.5, max: 12345678, mean: 3086978 }],
  ['groups of three after one to three digits, not from 0: others are strings', ['1,23,456', '0,123', '1234,567'], { type: 'string' }],
  ['thousands grouped by an apostrophe, as Swiss exports write them', ["1'234.50", '1\u2019000', '12'], { type: 'number', formats: ['123', "1'234", "1'234.5"], min: 12, max: 1234.5 }],
  ['a number too large for a double is a string', ['1e308', '1e309'], { type: 'string' }],
  ['two huge numbers still have a mean', ['1e308', '1.5e308'], { type: 'number', mean: 1.25e308 }],
  ['an impossible date makes a string', ['2024-02-29', '2024-02-30'], { type: 'string' }],
  ['day-first dates with dots and ISO dates are one date column', ['29.02.2024', '2024-03-01', '31.12.1999'], { type: 'date', formats: ['YYYY-MM-DD', 'DD.MM.YYYY'], min: '1999-12-31', max: '2024-03-01' }],
  ['US dates: month first, as the 31st says', ['1/2/2026', '12/31/2026', '2026-06-01'], { type: 'date', formats: ['YYYY-MM-DD', 'MM/DD/YYYY'], min: '2026-01-02', max: '2026-12-31' }],
  ['British dates: day first, as the 31st says', ['01/02/2026', '31/12/2026 23:59'], { type: 'datetime', formats: ['DD/MM/YYYY', 'DD/MM/YYYY HH:MM'], min: '2026-02-01T00:00:00', max: '2026-12-31T23:59:00' }],
  ['dates with slashes that fit either way read month first', ['1/2/2026', '3/4/2026'], { type: 'date', formats: ['MM/DD/YYYY'], min: '2026-01-02', max: '2026-03-04' }],
  ['US times with AM and PM: 12 AM is midnight, 12 PM noon', ['1/5/2026 12:00:00 AM', '1/5/2026 12:30 PM', '1/5/2026 11:59 pm'],
    { type: 'datetime', formats: ['MM/DD/YYYY HH:MM AM/PM', 'MM/DD/YYYY HH:MM:SS AM/PM'], min: '2026-01-05T00:00:00', max: '2026-01-05T23:59:00' }],
  ['month first and day first in one column make a string', ['12/31/2026', '31/12/2026'], { type: 'string', formats: [] }],
  ['dates widen to datetimes; zones are kept', ['2024-01-01', '2024-01-01T10:00:00+02:00', '2024-01-01 09:00Z'],
    { type: 'datetime', formats: ['YYYY-MM-DD', 'YYYY-MM-DDTHH:MM:SS±HH:MM', 'YYYY-MM-DD HH:MMZ'], min: '2024-01-01T00:00:00', max: '2024-01-01T09:00:00Z' }],
  ['fractions to the microsecond', ['2024-01-01T00:00:00.1234567', '2024-01-01T00:00:00.5'], { type: 'datetime', min: '2024-01-01T00:00:00.123456', max: '2024-01-01T00:00:00.5' }],
  ['booleans in three casings; yes is not one', ['true', 'FALSE', 'True'], { type: 'boolean', formats: ['true/false', 'True/False', 'TRUE/FALSE'] }],
  ['booleans and numbers make a string', ['true', '1'], { type: 'string' }],
  ['null tokens and empty fields are not values', ['NA', '', 'null', '-', 'x'], { type: 'string', values: 1, empty: 1, nulls: 3, distinct: { count: 1, exact: true } }],
  ['only nulls leave the column empty', ['NULL', ''], { type: 'empty', values: 0, min_length: null, distinct: { count: 0, exact: true }, samples: [] }],
  ['lengths in code points', ['é😀', 'abc'], { min_length: 2, max_length: 3 }],
  ['dates of one month, then another, then a day the month does not have', ['2023-01-31', '2023-01-02', '2023-02-28', '2023-01-15'],
    { type: 'date', min: '2023-01-02', max: '2023-02-28' }],
  ['a day past the end of a month already seen makes a string', ['2023-02-01', '2023-02-28', '2023-02-29'], { type: 'string' }],
  ['datetimes of one month with a space or a T, past midnight and before', ['2024-02-29 23:59', '2024-02-01T00:00:00', '2024-02-15T12:30'],
    { type: 'datetime', min: '2024-02-01T00:00:00', max: '2024-02-29T23:59:00' }],
  ['eight digits, and a point among eight bytes', ['12345678', '00000001', '1234.567', '0.000001'], { type: 'number', formats: ['123', '0123', '1.5'], min: 0.000001, max: 12345678 }],
  ['an escaped quote is one value with its unquoted twin', ['a"b', 'a"b', 'c'], { distinct: { count: 2, exact: true }, samples: ['a"b', 'c'] }]
]

for (const [what, values, expected] of cases) {
  t.test(what, async t => {
    const { fast, slow } = await column(values)
    t.match(fast, expected)
    t.same(fast, slow, 'both paths agree')
  })
}

t.test('a quoted number is a number', async t => {
  const found = await extractCsvMetadata(() => [Buffer.from('a,b\n"1","x"\n2,y\n')])
  t.match(found.profile.columns[0], { type: 'integer', min: 1, max: 2, mean: 1.5 })
})

t.test('samples: the first five distinct values, cut to 80 characters', async t => {
  const long = '€'.repeat(100)
  const { fast } = await column(['b', 'a', 'b', long, 'c', 'd', 'e', 'f'])
  t.same(fast.samples, ['b', 'a', '€'.repeat(80), 'c', 'd'])
})

t.test('the digest is of the object as stored: the gzip bytes of a gzip file', async t => {
  const gzip = gzipSync(SEED)
  const found = await extractCsvMetadata(() => [gzip])
  t.equal(found.compression, 'gzip')
  t.equal(found.profile.sha256, createHash('sha256').update(gzip).digest('hex'))
  t.equal(found.profile.bytes, Buffer.byteLength(SEED))
})

t.test('a file without a header profiles its first row too', async t => {
  const found = await extractCsvMetadata(() => [Buffer.from('1,2024-01-01\n2,2024-01-02\n3,2024-01-03\n')])
  t.equal(found.dialect.header, false)
  t.same(found.profile.columns.map(c => [c.name, c.type, c.values, c.min]), [['column_1', 'integer', 3, 1], ['column_2', 'date', 3, '2024-01-01']])
})

t.test('a field over 1 MiB goes to csv-parse, which profiles it alike', async t => {
  const big = 'x'.repeat(1_200_000)
  const found = await extractCsvMetadata(() => [Buffer.from(`a,b\n1,${big}\n2,y\n`)])
  t.match(found.profile.columns[1], { type: 'string', min_length: 1, max_length: 1_200_000, samples: ['x'.repeat(80), 'y'] })
})

t.test('a wide file: every column profiled, the exact bound shrinks with the column count', async t => {
  const width = 2000
  const header = Array.from({ length: width }, (_, i) => `c${i}`).join(',')
  const rows = Array.from({ length: 30 }, (_, r) => Array.from({ length: width }, (_, c) => String(r * c)).join(','))
  const found = await extractCsvMetadata(() => [Buffer.from(header + '\n' + rows.join('\n') + '\n')])
  t.equal(found.profile.columns.length, width)
  t.match(found.profile.columns[width - 1], { type: 'integer', distinct: { count: 30, exact: true }, max: 29 * (width - 1) })
})
