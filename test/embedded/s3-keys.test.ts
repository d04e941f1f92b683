// Any key S3 accepts is stored and read back exactly (long, any script, `..` segments), and nothing is ever
// written outside DATA_DIR: findings 1 (long keys crashed s3rver) and 2 (path traversal) of the attack review.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { decodeEventKey } from '../../shared/s3-event-key.ts'
import { startTestStack, waitFor } from '../helpers/stack.ts'
import { BUCKET, errorCode, rawRequest, signRequest, startS3 } from '../helpers/s3-endpoint.ts'

const KEYS = {
  '255 bytes': 'a'.repeat(251) + '.csv',
  '1024 bytes': 'd/'.repeat(300) + 'b'.repeat(420) + '.csv',
  '85 CJK characters (255 bytes)': '表'.repeat(85),
  'spaces, plus, percent, control characters, emoji': 'a b+c%20d\u0001\u007f<&>"\'\r\n😀.csv'
}

t.test('long keys and keys in any script round-trip: PUT, GET, list, event, restart', async t => {
  const { s3, events, close, dataDir } = await startS3(t)
  for (const [name, key] of Object.entries(KEYS)) {
    t.ok(Buffer.byteLength(key) <= 1024, `${name}: a legal key`)
    const body = `key,${name}\n`
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    t.equal(await object.Body!.transformToString(), body, `${name}: read back`)
    const event = events.find(record => decodeEventKey(record.s3.object.key) === key)
    t.match(event, { eventName: 'ObjectCreated:Put', s3: { object: { size: Buffer.byteLength(body) } } }, `${name}: event, key URL-encoded`)
  }
  t.equal(Buffer.byteLength(KEYS['1024 bytes']), 1024)
  const listed = async (client: typeof s3) => ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, EncodingType: 'url' }))).Contents ?? [])
    .map(object => decodeEventKey(object.Key!)).sort()
  t.same(await listed(s3), Object.values(KEYS).sort(), 'listed exactly')
  await close()
  // s3rver left an object without its metadata here: every later listing failed, and so did the next start.
  const again = await startS3(t, { dataDir })
  t.same(await listed(again.s3), Object.values(KEYS).sort(), 'the next start lists them all')
})

t.test('a key over 1024 bytes is refused with KeyTooLongError, and the endpoint keeps serving', async t => {
  const { port, s3 } = await startS3(t)
  const path = `/${BUCKET}/${'x'.repeat(1025)}`
  const signed = await signRequest(port, { method: 'PUT', path, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
  const refused = await rawRequest(port, { method: 'PUT', path, headers: signed.headers, body: 'a' })
  t.equal(refused.status, 400)
  t.equal(errorCode(refused), 'KeyTooLongError')
  for (const bad of ['%ZZ.csv', '%C0%AF.csv', '%FF.csv']) {
    const answer = await rawRequest(port, { method: 'GET', path: `/${BUCKET}/${bad}` })
    t.equal(errorCode(answer), 'InvalidURI', `${bad}: not UTF-8, refused`)
  }
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after.csv', Body: 'a' }))
  t.pass('still serving')
})

t.test('`..` keys are keys: stored and read back, nothing read or written outside DATA_DIR', async t => {
  const parent = t.testdir({ data: {}, 'secret.txt': 'not for S3' })
  const dataDir = join(parent, 'data')
  const before = readdirSync(parent, { recursive: true }).filter(name => !String(name).startsWith('data')).sort()
  const { port, s3 } = await startS3(t, { dataDir })
  for (const key of ['../../x.csv', 'a/../../b.csv', '../secret.txt', './c.csv', '..']) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body of ${key}` }))
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    t.equal(await object.Body!.transformToString(), `body of ${key}`, `${key}: read back`)
  }
  // The encoded form s3rver decoded into a path.
  const encoded = `/${BUCKET}/..%2F..%2F..%2Fx%2Fpwn.csv`
  const put = await signRequest(port, { method: 'PUT', path: encoded, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
  t.equal((await rawRequest(port, { method: 'PUT', path: encoded, headers: put.headers, body: 'pwned' })).status, 200)
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))
  t.ok(listed.Contents?.some(object => object.Key === '../../../x/pwn.csv'), 'stored under its key')
  const read = await signRequest(port, { method: 'GET', path: `/${BUCKET}/..%2Fsecret.txt`, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
  t.equal((await rawRequest(port, { method: 'GET', path: `/${BUCKET}/..%2Fsecret.txt`, headers: read.headers })).body, 'body of ../secret.txt', 'the object, not the file beside DATA_DIR')
  const missing = await signRequest(port, { method: 'GET', path: `/${BUCKET}/..%2F..%2Fsecret.txt`, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
  t.equal(errorCode(await rawRequest(port, { method: 'GET', path: `/${BUCKET}/..%2F..%2Fsecret.txt`, headers: missing.headers })), 'NoSuchKey')
  const after = readdirSync(parent, { recursive: true }).filter(name => !String(name).startsWith('data')).sort()
  t.same(after, before, 'nothing new beside DATA_DIR')
})

t.test('through the whole pipeline: an 85-character CJK name gets its metadata', async t => {
  const { s3, table } = await startTestStack(t)
  const key = '表'.repeat(81) + '.csv'
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'a,b\n1,2\n' }))
  const record = await waitFor(async () => {
    const item = await table.get(key)
    return item?.status === 'processed' ? item : undefined
  }, 20_000, 'the CJK file to be processed')
  t.match(record, { filename: key, row_count: 1, column_count: 2 })
})
