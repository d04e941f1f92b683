// Listings past 1,000 objects: finding 3 of the attack review (s3rver's continuation tokens used DES, which
// OpenSSL 3 refuses). Pages with the SDK's paginator, prefixes, delimiters, start-after, encoding-type=url, v1
// markers, and `aws s3 ls` / `aws s3 rm --recursive` when the aws CLI is there.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3'
import { BUCKET, errorCode, rawRequest, signRequest, startS3 } from '../helpers/s3-endpoint.ts'

const run = promisify(execFile)
const hasAws = await run('aws', ['--version']).then(() => true, () => false)
if (!hasAws && process.env.CI === 'true') throw new Error('the aws CLI is required in CI (apt-get install awscli, or pip install awscli)')

const COUNT = 2500
/** 2,500 keys over 5 folders, named so that byte order differs from insertion order. */
const KEYS = Array.from({ length: COUNT }, (_, i) => `dir${i % 5}/file-${String((i * 7919) % COUNT).padStart(4, '0')}.csv`)

t.test('2,500 objects listed completely, in order, across pages', async t => {
  const { s3, port, endpoint } = await startS3(t)
  for (let i = 0; i < KEYS.length; i += 50) {
    await Promise.all(KEYS.slice(i, i + 50).map(Key => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }))))
  }
  const expected = [...KEYS].sort()

  const pages: string[][] = []
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: BUCKET })) pages.push((page.Contents ?? []).map(object => object.Key!))
  t.same(pages.map(page => page.length), [1000, 1000, 500], 'three pages of at most 1,000')
  t.same(pages.flat(), expected, 'every key once, in S3 order')

  const small: string[] = []
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 333 }, { Bucket: BUCKET, Prefix: 'dir3/', StartAfter: 'dir3/file-1000.csv' })) {
    small.push(...(page.Contents ?? []).map(object => object.Key!))
  }
  t.same(small, expected.filter(key => key.startsWith('dir3/') && key > 'dir3/file-1000.csv'), 'prefix, start-after and max-keys')

  const folders = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2 }))
  t.same(folders.CommonPrefixes?.map(prefix => prefix.Prefix), ['dir0/', 'dir1/'])
  t.equal(folders.IsTruncated, true)
  const rest = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', ContinuationToken: folders.NextContinuationToken }))
  t.same(rest.CommonPrefixes?.map(prefix => prefix.Prefix), ['dir2/', 'dir3/', 'dir4/'], 'the next page starts after the last common prefix')
  t.equal(rest.Contents, undefined)

  const v1: string[] = []
  let marker: string | undefined
  for (;;) {
    const page = await s3.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: 'dir1/', ...(marker === undefined ? {} : { Marker: marker }) }))
    v1.push(...(page.Contents ?? []).map(object => object.Key!))
    if (page.IsTruncated !== true) break
    marker = page.Contents!.at(-1)!.Key
  }
  t.same(v1, expected.filter(key => key.startsWith('dir1/')), 'ListObjects (v1) with markers')

  const signed = await signRequest(port, { method: 'GET', path: `/${BUCKET}`, query: { 'list-type': '2', 'continuation-token': 'not-ours' }, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
  const bad = await rawRequest(port, { method: 'GET', path: signed.path, headers: signed.headers })
  t.equal(bad.status, 400)
  t.equal(errorCode(bad), 'InvalidArgument', 'a token this S3 did not issue')

  t.test('aws s3 ls and aws s3 rm --recursive', { skip: hasAws ? false : 'the aws CLI is not on PATH' }, async t => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' }
    const aws = async (...args: string[]) => (await run('aws', ['--endpoint-url', endpoint, ...args], { env, maxBuffer: 64 * 1024 * 1024 })).stdout
    const listed = (await aws('s3', 'ls', '--recursive', `s3://${BUCKET}/`)).trim().split('\n')
    t.equal(listed.length, COUNT, 'aws s3 ls lists every object')
    await aws('s3', 'rm', '--recursive', '--quiet', `s3://${BUCKET}/dir0/`)
    const left = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'dir0/' }))
    t.equal(left.KeyCount, 0, 'aws s3 rm --recursive (DeleteObjects) removed the folder')
  })
})

t.test('encoding-type=url carries keys XML cannot', async t => {
  const { s3, port } = await startS3(t)
  const key = 'ctl\u0001\u0002 + & < >.csv'
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'a' }))
  const signed = await signRequest(port, { method: 'GET', path: `/${BUCKET}`, query: { 'list-type': '2', 'encoding-type': 'url' }, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })
  const listing = await rawRequest(port, { method: 'GET', path: signed.path, headers: signed.headers })
  t.match(listing.body, '<Key>ctl%01%02+%2B+%26+%3C+%3E.csv</Key>')
  t.match(listing.body, '<EncodingType>url</EncodingType>')
  const plain = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))
  t.equal(plain.Contents?.[0]?.Key, key, 'escaped as character references without it')
})
