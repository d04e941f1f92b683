// Every file ends processed or failed whatever its header: repeated warnings are capped, and a record too large
// for one DynamoDB item is kept whole in the bucket under .metadata/, with the API answering it complete.
import t from 'tap'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { buildApp } from '../../api/app.ts'
import { createDocumentClient } from '../../aws/clients.ts'
import { MAX_WARNINGS_PER_CODE, type FileMetadata } from '../../shared/file-record.ts'
import { startTestStack, waitFor } from '../helpers/stack.ts'

t.test('headers that make huge records still end with a verdict, readable through the API', async t => {
  const { config, stack, table, s3 } = await startTestStack(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const documents = createDocumentClient(config)
  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: body }))
  const verdict = (key: string) => waitFor(async () => {
    const record = await table.get(key)
    return record !== undefined && record.status !== 'processing' ? record : undefined
  }, 30_000, `the verdict on ${key}`)

  const repeated = Array(10_000).fill('a').join(',') + '\n'
  const wide = Array.from({ length: 10_000 }, (_, i) => `column ${i} `.padEnd(100, 'x')).join(',') + '\n'
  t.ok(repeated.length > 19_000 && repeated.length < 21_000, 'a 20 KB file')
  await put('repeated.csv', repeated)
  await put('wide.csv', wide)

  t.test('10,000 copies of one name: 10 duplicate-label warnings and one that counts the rest', async t => {
    const stored = await verdict('repeated.csv')
    t.match(stored, { status: 'processed', column_count: 10_000 })
    t.match(stored.record_object, /^\.metadata\//, 'the summary of 10,000 columns does not fit in one item, even with the warnings capped')
    const record = (await app.inject('/files/repeated.csv')).json() as FileMetadata
    const warnings = record.warnings ?? []
    t.equal(warnings.filter(w => w.code === 'duplicate-label').length, MAX_WARNINGS_PER_CODE)
    t.match(warnings.at(-1), { code: 'more-warnings', message: /^9989 more warning\(s\) .*: 9989 duplicate-label\.$/ })
    t.equal(warnings.length, MAX_WARNINGS_PER_CODE + 1, 'the rest are counted, not kept')
    t.equal(record.columns?.length, 10_000)
  })

  t.test('10,000 names of 100 characters: the whole record in the bucket, the item pointing at it', async t => {
    const record = await verdict('wide.csv')
    t.match(record, { status: 'processed', column_count: 10_000, row_count: 0, record_object: /^\.metadata\/[0-9a-f]{64}\/[0-9a-f]{32}\.json$/ })
    t.equal(record.column_names, undefined, 'the item does not hold the names')
    const { Item } = await documents.send(new GetCommand({ TableName: config.tableName, Key: { filename: 'wide.csv' } }))
    t.ok(JSON.stringify(Item).length < 10_000, 'the item is small')
    t.equal(Item?.record_object, record.record_object)

    const object = await s3.send(new GetObjectCommand({ Bucket: config.bucketName, Key: record.record_object! }))
    const whole = JSON.parse(await object.Body!.transformToString()) as FileMetadata
    t.match(whole, { filename: 'wide.csv', status: 'processed', column_count: 10_000 })
    t.equal(whole.column_names?.length, 10_000)

    const res = await app.inject('/files/wide.csv')
    t.equal(res.statusCode, 200)
    const answered = res.json() as FileMetadata
    t.equal(answered.column_names?.length, 10_000, 'GET /files/{name} answers the whole record')
    t.equal(answered.column_names?.[9_999], 'column 9999 '.padEnd(100, 'x'))
    t.same(answered.warnings, [])
    t.notOk('record_object' in answered, 'the pointer is internal')

    const listed = (await app.inject('/files')).json().items as FileMetadata[]
    t.match(listed.find(item => item.filename === 'wide.csv'), { status: 'processed', details_omitted: true, column_names: undefined })
    t.equal(listed.find(item => item.filename === 'repeated.csv')?.details_omitted, true)
  })

  t.test('a record whose object was deleted is answered without its large fields, and says so', async t => {
    const stored = await verdict('wide.csv')
    await s3.send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: stored.record_object! }))
    const res = await app.inject('/files/wide.csv')
    t.equal(res.statusCode, 200)
    t.match(res.json(), { filename: 'wide.csv', status: 'processed', column_count: 10_000, details_omitted: true, column_names: undefined })
  })

  t.test('the record objects are not files: no record of their own, and reconcile finds nothing to do', async t => {
    await waitFor(async () => (await table.get('wide.csv'))?.status === 'processed' || undefined)
    await stack.runtime.idle()
    const names: string[] = []
    for await (const summary of table.scanSummaries()) names.push(summary.filename)
    t.same(names.sort(), ['repeated.csv', 'wide.csv'])
    const { findDrift } = await import('../../aws/reconcile.ts')
    t.same(await findDrift({ s3, table, bucket: config.bucketName, stuckBefore: new Date() }), [])
  })
})
