// The input corpus: every kind of file people upload, each through the real pipeline (S3 PUT, event, handler,
// DynamoDB, API), with its expected verdict: processed (with warnings where something was odd) or failed with
// a stable code, a message and, where one applies, the line.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { buildApp } from '../../api/app.ts'
import type { Dialect, FileMetadata } from '../../shared/file-record.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'
import { startTestStack, waitFor } from '../helpers/stack.ts'
import { SEED } from '../helpers/sample.ts'

interface Case {
  key: string
  body: string | Buffer
  expect: Partial<Omit<FileMetadata, 'dialect'>> & { dialect?: Partial<Dialect>, warningCodes?: string[] }
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')
const ZIP = Buffer.from('504b0304140000000800', 'hex')
const wide = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',') + '\n' + Array.from({ length: n }, () => '1').join(',') + '\n'

/** Windows-1252 for the characters these cases use: Latin-1, plus € ’ – in 0x80-0x9F. */
const windows1252 = (text: string) => Buffer.from([...text].map(c => ({ '€': 0x80, '’': 0x92, '–': 0x96 })[c] ?? c.charCodeAt(0)))
const cutInHalf = (bytes: Buffer) => bytes.subarray(0, bytes.length / 2)
/** The corpus stack's MAX_DECOMPRESSED_BYTES, small enough for a bomb that builds in a moment. */
const BOMB_LIMIT = 64 * 1024 * 1024

const wrongWidth = (line: number, fields: number) => `Line ${line} has ${fields} fields but the header has 2 (delimiter ","). Every row needs one value per column.`
const processed = (rows: number, columns: number, warningCodes: string[] = []) =>
  ({ status: 'processed' as const, row_count: rows, column_count: columns, warningCodes })
const failed = (code: string, line?: number) =>
  ({ status: 'failed' as const, error: { code, message: '', ...(line === undefined ? {} : { line }) } })

const CASES: Case[] = [
  { key: 'seed.csv', body: SEED, expect: processed(2, 5) },
  { key: 'empty.csv', body: '', expect: failed('empty-file') },
  { key: 'whitespace-only.csv', body: '   \t  ', expect: failed('blank-header', 1) },
  { key: 'blank-lines-only.csv', body: '\n\n\r\n', expect: failed('blank-header') },
  { key: 'header-only.csv', body: 'a,b,c\n', expect: processed(0, 3) },
  { key: 'header-only-no-newline.csv', body: 'a,b,c', expect: processed(0, 3) },
  { key: 'one-column.csv', body: 'value\n1\n2\n3\n', expect: processed(3, 1) },
  { key: 'no-trailing-newline.csv', body: 'a,b\n1,2\n3,4', expect: processed(2, 2) },
  { key: 'crlf.csv', body: 'a,b\r\n1,2\r\n3,4\r\n', expect: processed(2, 2) },
  { key: 'cr-only.csv', body: 'a,b\r1,2\r3,4\r', expect: processed(2, 2) },
  { key: 'mixed-endings.csv', body: 'a,b\r\n1,2\n3,4\r5,6\r\n', expect: processed(3, 2) },
  { key: 'utf8-bom.csv', body: '\ufeffid,name\n1,x\n', expect: { ...processed(1, 2, ['bom']), column_names: ['id', 'name'] } },
  { key: 'utf16-bom.csv', body: Buffer.from('\ufeffa,b\n1,2\n', 'utf16le'), expect: { ...processed(1, 2), encoding: 'utf-16le' } },
  { key: 'utf16-be-bom.csv', body: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('a,b\n', 'utf16le').swap16()]), expect: { ...processed(0, 2), encoding: 'utf-16be' } },
  { key: 'latin1.csv', body: Buffer.from('name,city\nJosé,Zürich\n', 'latin1'), expect: { ...processed(1, 2, ['non-utf8']), encoding: 'windows-1252', column_names: ['name', 'city'] } },
  { key: 'truncated-utf8.csv', body: Buffer.concat([Buffer.from('é\n'), Buffer.from([0xe2, 0x82])]), expect: failed('encoding-error', 2) },
  { key: 'png-named.csv', body: PNG, expect: failed('binary-file') },
  { key: 'gzip-named.csv', body: gzipSync('a,b\n1,2\n'), expect: { ...processed(1, 2), compression: 'gzip' } },
  { key: 'zip-named.csv', body: ZIP, expect: failed('binary-file') },
  { key: 'pdf-named.csv', body: '%PDF-1.7\n%âãÏÓ\n', expect: failed('binary-file') },
  { key: 'nul-bytes.csv', body: 'a,b\n1,\u00002\n', expect: failed('binary-file') },
  { key: 'unclosed-quote.csv', body: 'a,b\n1,"never closed\n2,3\n', expect: failed('unclosed-quote') },
  { key: 'stray-quote.csv', body: 'name,height\nBob,6\'2"\nAl,5"9\n', expect: processed(2, 2) },
  { key: 'text-after-quote.csv', body: 'a,b\n"x"y,2\n', expect: processed(1, 2) },
  { key: 'quoted-newlines.csv', body: 'id,note\n1,"line one\nline two"\n2,"a\r\nb"\n', expect: processed(2, 2) },
  { key: 'quoted-delimiters.csv', body: 'id,note\n1,"a, b, c"\n', expect: processed(1, 2) },
  { key: 'escaped-quotes.csv', body: 'id,quote\n1,"she said ""hi"""\n2,""""\n', expect: processed(2, 2) },
  { key: 'empty-quoted.csv', body: 'a,b\n"",""\n', expect: processed(1, 2) },
  { key: 'extra-field.csv', body: 'a,b\n1,2\n3,4,5\n6,7\n', expect: failed('extra-cell', 3) },
  { key: 'missing-field.csv', body: 'a,b,c\n1,2,3\n4,5\n', expect: failed('missing-cell', 3) },
  // Every ragged row counted, each located by line and byte (a CRLF inside quotes is one line); the README's example.
  {
    key: 'ragged-rows-counted.csv',
    body: 'id,name\r\n1,"multi\r\nline"\r\n2\r\n\r\n3,x,extra\r\n4\r\n',
    expect: {
      ...failed('missing-cell', 4),
      errors: [
        { code: 'missing-cell', count: 2, examples: [{ line: 4, byte: 26, message: wrongWidth(4, 1) }, { line: 7, byte: 42, message: wrongWidth(7, 1) }] },
        { code: 'extra-cell', count: 1, examples: [{ line: 6, byte: 31, message: wrongWidth(6, 3) }] }
      ]
    }
  },
  { key: 'ragged-after-quoted-newline.csv', body: 'a,b\n"x\ny",1\n2\n', expect: failed('missing-cell', 4) },
  { key: 'blank-lines-middle.csv', body: 'a,b\n1,2\n\n\n3,4\n', expect: processed(2, 2, ['blank-row']) },
  { key: 'blank-lines-end.csv', body: 'a,b\n1,2\n\n\n', expect: processed(1, 2, ['blank-row']) },
  { key: 'blank-lines-before-header.csv', body: '\n\na,b\n1,2\n', expect: { ...processed(1, 2, ['blank-row']), column_names: ['a', 'b'] } },
  { key: 'duplicate-columns.csv', body: 'id,id,name\n1,2,x\n', expect: processed(1, 3, ['duplicate-label']) },
  { key: 'empty-column-name.csv', body: 'id,,name\n1,2,x\n', expect: processed(1, 3, ['blank-label']) },
  { key: 'all-odd-header.csv', body: '\ufeffa,a,\n1,2,3\n\n', expect: processed(1, 3, ['bom', 'duplicate-label', 'blank-label', 'blank-row']) },
  // 11 repeats of one name: a record keeps 10 warnings of a code and counts the rest in one more-warnings.
  { key: 'many-duplicates.csv', body: Array(12).fill('a').join(',') + '\n' + Array(12).fill('1').join(',') + '\n', expect: processed(1, 12, [...Array(10).fill('duplicate-label'), 'more-warnings']) },
  { key: 'semicolons.csv', body: 'a;b;c\n1;2;3\n', expect: { ...processed(1, 3), column_names: ['a', 'b', 'c'] } },
  { key: 'tabs.csv', body: 'a\tb\n1\t2\n', expect: processed(1, 2) },
  { key: 'wide-10000.csv', body: wide(10_000), expect: processed(1, 10_000) },
  { key: 'too-wide-10001.csv', body: wide(10_001), expect: failed('too-many-columns', 1) },
  { key: 'header-over-limit.csv', body: 'h'.repeat(DEFAULT_LIMITS.maxRecordBytes + 1024) + '\n1\n', expect: failed('record-too-large', 1) },
  { key: 'field-50mb.csv', body: 'id,blob\n1,"' + 'x'.repeat(50 * 1024 * 1024) + '"\n2,small\n', expect: processed(2, 2) },
  { key: 'unicode-content.csv', body: '名前,都市\n太郎,東京\n😀,🎉\n', expect: { ...processed(2, 2), column_names: ['名前', '都市'] } },
  { key: 'with space.csv', body: 'a\n1\n', expect: processed(1, 1) },
  { key: 'plus+sign.csv', body: 'a\n1\n', expect: processed(1, 1) },
  { key: 'percent%20literal.csv', body: 'a\n1\n', expect: processed(1, 1) },
  { key: 'ünïcødé-名前.csv', body: 'a\n1\n', expect: processed(1, 1) },
  { key: 'nested/prefix/deep/file.csv', body: 'a\n1\n', expect: processed(1, 1) },
  { key: 'nested/with space/and+plus (1).csv', body: 'a\n1\n', expect: processed(1, 1) },
  // Files as other programs and people write them: dialects, encodings, compression.
  { key: 'excel-csv-utf8.csv', body: '\ufeff"id","name","note"\r\n"1","Zoë","says ""hi"", twice"\r\n"2","Jürgen","two\r\nlines"\r\n', expect: { ...processed(2, 3, ['bom']), encoding: 'utf-8-bom', column_names: ['id', 'name', 'note'] } },
  { key: 'excel-windows-1252.csv', body: windows1252('sep=;\r\nKunde;Straße;Betrag\r\nMüller;Hauptstraße 1;1.234,50 €\r\nO’Neil;Weg – 2;7,00 €\r\n'), expect: { ...processed(2, 3, ['non-utf8']), encoding: 'windows-1252', column_names: ['Kunde', 'Straße', 'Betrag'], dialect: { delimiter: ';', preamble_lines: 1, decided_by: 'sep= line' } } },
  { key: 'german-decimals.csv', body: 'Artikel;Preis;Menge\nÄpfel;1,5;3\nBirnen;2,25;10\n', expect: { ...processed(2, 3), dialect: { delimiter: ';' } } },
  { key: 'quoted-tabs.tsv', body: 'id\ttext\n1\t"a\tb"\n2\t"c\td\te"\n', expect: { ...processed(2, 2), dialect: { delimiter: '\t' } } },
  { key: 'pipes.txt', body: 'id|name|city\n1|Ann|Oslo\n2|Bob|Rome\n', expect: { ...processed(2, 3), dialect: { delimiter: '|' } } },
  { key: 'comment-lines.csv', body: '# exported by a tool\n# on 2026-11-24\nid,name\n1,x\n# subtotal\n2,y\n', expect: { ...processed(2, 2), column_names: ['id', 'name'], dialect: { comment: '#' } } },
  { key: 'excel-unicode-text.txt', body: Buffer.from('\ufeffName\tStadt\r\nJosé\tZürich\r\n名前\t東京\r\n', 'utf16le'), expect: { ...processed(2, 2), encoding: 'utf-16le', column_names: ['Name', 'Stadt'], dialect: { delimiter: '\t' } } },
  { key: 'orders.csv.gz', body: gzipSync('id,item\n1,tea\n2,"milk, oat"\n'), expect: { ...processed(2, 2), compression: 'gzip' } },
  { key: 'bomb.csv.gz', body: gzipSync(Buffer.alloc(BOMB_LIMIT + 1024 * 1024, 'a,b\n')), expect: failed('decompressed-too-large') },
  { key: 'cut-short.csv.gz', body: cutInHalf(gzipSync('n,square\n' + Array.from({ length: 2000 }, (_, n) => `${n},${n * n}\n`).join(''))), expect: failed('corrupt-gzip') },
  { key: 'semicolons-comma-inside.csv', body: 'name;note\nx;a, b and c\ny;plain\n', expect: { ...processed(2, 2), dialect: { delimiter: ';' } } },
  { key: 'semicolon-header-one-column.csv', body: 'a;b\n1\n2\n3\n', expect: { ...processed(3, 1, ['possible-delimiter']), column_names: ['a;b'] } },
  { key: 'ragged-semicolons.csv', body: 'sep=;\na;b\n1;2\n3;4;5\n', expect: failed('extra-cell', 4) },
  { key: 'numbers-no-header.csv', body: '1,2.5\n3,4.5\n', expect: { ...processed(2, 2), column_names: ['column_1', 'column_2'], dialect: { header: false } } },
  { key: 'utf16-cut-short.csv', body: Buffer.concat([Buffer.from('\ufeffa,b\r\n1,2\r\n3,', 'utf16le'), Buffer.from([0x34])]), expect: failed('encoding-error', 3) },
  { key: 'windows-1252-late.csv', body: Buffer.concat([Buffer.from('id,city\n' + '1,Oslo\n'.repeat(20_000)), windows1252('2,Zürich\n')]), expect: { ...processed(20_001, 2, ['non-utf8']), encoding: 'windows-1252' } }
]

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** The codes in the first column of the README table under the heading that starts with `heading`. */
function documentedCodes (heading: string): string[] {
  const section = README.split(/\n(?=#)/).find(part => part.startsWith(heading))
  const rows = section?.split('\n').filter(line => line.startsWith('| `')) ?? []
  const codes = rows.flatMap(row => [...row.split('|')[1]!.matchAll(/`([a-z-]+)`/g)].map(match => match[1]!))
  if (codes.length === 0) throw new Error(`no table of codes under "${heading}" in the README`)
  return codes
}

t.test('the corpus is what the README says it is', async t => {
  const keys = CASES.map(c => c.key)
  t.same(keys.filter((key, i) => keys.indexOf(key) !== i), [], 'no key twice: two cases on one key would race, and one would go unchecked')
  const count = /corpus\.test\.ts` runs (\d+) such files/.exec(README)?.[1]
  t.equal(CASES.length, Number(count), 'as many cases as the README promises')

  const verdicts = new Set(CASES.map(c => c.expect.error?.code))
  // object-missing is about the object's fate, not its bytes: test/shared/process-object.test.ts deletes one before it is read.
  const notFromBytes = ['object-missing']
  t.same(documentedCodes('### Processing verdicts').filter(code => !verdicts.has(code) && !notFromBytes.includes(code)), [], 'every documented verdict')
  const warnings = new Set(CASES.flatMap(c => c.expect.warningCodes ?? []))
  t.same(documentedCodes('### Processing warnings').filter(code => !warnings.has(code)), [], 'every documented warning')
})

t.test(`${CASES.length} inputs through the real pipeline`, async t => {
  const { config, s3 } = await startTestStack(t, { maxDecompressedBytes: BOMB_LIMIT })
  const app = await buildApp({ config })
  t.teardown(() => app.close())

  await Promise.all(CASES.map(c => s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: c.key, Body: c.body }))))
  for (const c of CASES) {
    const file = await waitFor(async () => {
      const res = await app.inject(`/files/${encodeURIComponent(c.key)}`)
      const body = res.statusCode === 200 ? res.json() as FileMetadata : undefined
      return body?.status === 'processing' ? undefined : body
    }, 60_000, c.key)
    const { warningCodes, error, ...fields } = c.expect
    t.match(file, fields, c.key)
    if (error !== undefined) {
      t.match(file.error, { code: error.code, ...(error.line === undefined ? {} : { line: error.line }) }, `${c.key}: ${error.code}`)
      t.ok((file.error?.message.length ?? 0) > 20, `${c.key}: the message says what to do`)
    }
    if (warningCodes !== undefined) t.same(file.warnings?.map(w => w.code), warningCodes, `${c.key}: warnings`)
  }
})
