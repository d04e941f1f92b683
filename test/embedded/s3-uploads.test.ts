// Uploads in every form clients send: aws-chunked bodies (signed chunks, unsigned with a checksum trailer, the
// SDK's defaults), multipart uploads with S3's ETag, `aws s3 cp` of 200 MB with and without default checksums,
// and the import of an older version's s3rver store.
import t from 'tap'
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { cpSync, createReadStream, existsSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { crc32 } from 'node:zlib'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand, PutObjectCommand, S3Client, UploadPartCommand
} from '@aws-sdk/client-s3'
import { EMPTY_SHA256 } from '../../embedded/s3/sigv4.ts'
import { decodeEventKey } from '../../shared/s3-event-key.ts'
import { waitFor } from '../helpers/stack.ts'
import { BUCKET, errorCode, rawRequest, signRequest, startS3 } from '../helpers/s3-endpoint.ts'
import { dataDirectory } from '../helpers/data-dir.ts'

const run = promisify(execFile)
const hasAws = await run('aws', ['--version']).then(() => true, () => false)
if (!hasAws && process.env.CI === 'true') throw new Error('the aws CLI is required in CI (apt-get install awscli, or pip install awscli)')

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex')
const crc32Base64 = (data: Buffer) => { const out = Buffer.alloc(4); out.writeUInt32BE(crc32(data) >>> 0); return out.toString('base64') }
const DATA = Buffer.from(Array.from({ length: 3000 }, (_, i) => `${i},row ${i}\n`).join(''))

/** A PUT with a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body, every chunk signed; `tamper` changes a byte after signing. */
async function signedChunkedPut (port: number, key: string, data: Buffer, tamper = false) {
  const chunks = [data.subarray(0, 16 * 1024), data.subarray(16 * 1024), Buffer.alloc(0)]
  const encodedLength = chunks.reduce((sum, chunk) => sum + chunk.length.toString(16).length + ';chunk-signature='.length + 64 + 4 + chunk.length, 0)
  const signingDate = new Date()
  const path = `/${BUCKET}/${key}`
  const { headers, signer } = await signRequest(port, {
    method: 'PUT',
    path,
    signingDate,
    headers: {
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
      'content-length': String(encodedLength)
    }
  })
  const scope = `${headers['x-amz-date']!.slice(0, 8)}/us-east-1/s3/aws4_request`
  let previous = /Signature=([0-9a-f]+)/.exec(headers.authorization!)![1]!
  const body: Buffer[] = []
  for (const chunk of chunks) {
    const signature = await signer.sign(['AWS4-HMAC-SHA256-PAYLOAD', headers['x-amz-date'], scope, previous, EMPTY_SHA256, sha256(chunk)].join('\n'),
      { signingDate, signingRegion: 'us-east-1', signingService: 's3' })
    body.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), Buffer.from(chunk), Buffer.from('\r\n'))
    previous = signature
  }
  const encoded = Buffer.concat(body)
  if (tamper) encoded[200] = encoded[200]! ^ 1
  return await rawRequest(port, { method: 'PUT', path, headers, body: encoded })
}

/** A PUT with a STREAMING-UNSIGNED-PAYLOAD-TRAILER body and a CRC32 trailer (`crc` overrides the right one). */
async function trailerPut (port: number, key: string, data: Buffer, crc = crc32Base64(data)) {
  const encoded = Buffer.concat([
    Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`)
  ])
  const path = `/${BUCKET}/${key}`
  const { headers } = await signRequest(port, {
    method: 'PUT',
    path,
    headers: {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'x-amz-decoded-content-length': String(data.length),
      'content-length': String(encoded.length)
    }
  })
  return await rawRequest(port, { method: 'PUT', path, headers, body: encoded })
}

t.test('aws-chunked bodies are decoded, chunk signatures and trailer checksums verified', async t => {
  const { port, s3, endpoint } = await startS3(t)
  const read = async (key: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray())

  const signed = await signedChunkedPut(port, 'signed.csv', DATA)
  t.equal(signed.status, 200)
  t.equal(signed.headers.etag, `"${md5(DATA)}"`)
  t.ok((await read('signed.csv')).equals(DATA), 'signed chunks: the decoded bytes')
  const tampered = await signedChunkedPut(port, 'tampered.csv', DATA, true)
  t.equal(tampered.status, 403)
  t.equal(errorCode(tampered), 'SignatureDoesNotMatch', 'a changed chunk')

  t.equal((await trailerPut(port, 'trailer.csv', DATA)).status, 200)
  t.ok((await read('trailer.csv')).equals(DATA), 'unsigned chunks with a trailer: the decoded bytes')
  const wrong = await trailerPut(port, 'wrong-crc.csv', DATA, 'AAAAAA==')
  t.equal(wrong.status, 400)
  t.equal(errorCode(wrong), 'BadDigest', 'a wrong CRC32 trailer')
  await t.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'tampered.csv' })), { name: 'NotFound' }, 'refused bodies store nothing')
  await t.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'wrong-crc.csv' })), { name: 'NotFound' })

  // The SDK with its default checksums, as newer SDKs and CLIs send them (a stream: aws-chunked with a trailer).
  const defaults = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
  await defaults.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk-default.csv', Body: Readable.from([DATA]), ContentLength: DATA.length }))
  t.ok((await read('sdk-default.csv')).equals(DATA), 'the SDK\'s default checksums')
  await defaults.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk-default-buffer.csv', Body: DATA }))
  t.ok((await read('sdk-default-buffer.csv')).equals(DATA))
})

t.test('multipart uploads: parts, the S3 multipart ETag, the event; abort and size rules', async t => {
  const { s3, events, dataDir } = await startS3(t)
  const parts = [Buffer.alloc(5 * 1024 * 1024, 'a'), Buffer.from('the last part may be small\n')]
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'big.csv', ContentType: 'text/csv', Metadata: { origin: 'test' } }))
  const uploaded = []
  for (const [index, Body] of parts.entries()) {
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'big.csv', UploadId, PartNumber: index + 1, Body }))
    t.equal(ETag, `"${md5(Body)}"`)
    uploaded.push({ ETag, PartNumber: index + 1 })
  }
  const listed = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'big.csv', UploadId }))
  t.same(listed.Parts?.map(part => [part.PartNumber, part.Size]), [[1, parts[0]!.length], [2, parts[1]!.length]])
  t.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads?.[0]?.UploadId, UploadId)
  const expected = `${md5(Buffer.concat(parts.map(part => Buffer.from(md5(part), 'hex'))))}-2`
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'big.csv', UploadId, MultipartUpload: { Parts: uploaded } }))
  t.equal(done.ETag, `"${expected}"`, 'md5 of the parts\' md5s, -2')
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big.csv' }))
  t.ok(Buffer.from(await object.Body!.transformToByteArray()).equals(Buffer.concat(parts)), 'the parts, concatenated')
  t.match(object, { ContentType: 'text/csv', Metadata: { origin: 'test' }, ETag: `"${expected}"` })
  t.match(events.at(-1), { eventName: 'ObjectCreated:CompleteMultipartUpload', s3: { object: { key: 'big.csv', size: parts[0]!.length + parts[1]!.length, eTag: expected } } })
  t.same((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? [], [], 'the upload is gone')
  t.notOk(existsSync(join(dataDir, 's3-store', BUCKET, 'uploads', UploadId!)), 'and its parts')

  const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'small.csv' }))
  const tiny = await Promise.all([1, 2].map(async PartNumber => ({ PartNumber, ETag: (await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'small.csv', UploadId: small.UploadId, PartNumber, Body: 'x' }))).ETag })))
  await t.rejects(s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'small.csv', UploadId: small.UploadId, MultipartUpload: { Parts: tiny } })), { name: 'EntityTooSmall' })
  await t.rejects(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'small.csv', UploadId: small.UploadId, PartNumber: 10_001, Body: 'x' })), { name: 'InvalidArgument' })
  await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'small.csv', UploadId: small.UploadId }))
  await t.rejects(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'small.csv', UploadId: small.UploadId })), { name: 'NoSuchUpload' })
  t.notOk(existsSync(join(dataDir, 's3-store', BUCKET, 'uploads', small.UploadId!)), 'aborted: parts removed')
  t.equal(events.filter(record => record.s3.object.key === 'small.csv').length, 0, 'no event')
})

t.test('multipart uploads abandoned for more than a day are removed at start', async t => {
  const first = await startS3(t)
  const fresh = await first.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'fresh.csv' }))
  const old = await first.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'old.csv' }))
  await first.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'old.csv', UploadId: old.UploadId, PartNumber: 1, Body: 'x' }))
  await first.close()
  const description = join(first.dataDir, 's3-store', BUCKET, 'uploads', old.UploadId!, 'upload.json')
  const upload = JSON.parse(readFileSync(description, 'utf8')) as { initiated: string }
  writeFileSync(description, JSON.stringify({ ...upload, initiated: new Date(Date.now() - 25 * 3600 * 1000).toISOString() }))
  const again = await startS3(t, { dataDir: first.dataDir })
  const uploads = await again.s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))
  t.same(uploads.Uploads?.map(item => item.UploadId), [fresh.UploadId], 'the day-old upload is gone, the fresh one kept')
  t.notOk(existsSync(dirname(description)), 'with its parts')
})

t.test('aws s3 cp of 200 MB (multipart) with the CLI\'s default checksums and with when_required', { skip: hasAws ? false : 'the aws CLI is not on PATH' }, async t => {
  const dir = t.testdir({ data: {} })
  const { endpoint, s3, events } = await startS3(t, { dataDir: join(dir, 'data') })
  const file = join(dir, 'big.csv')
  t.teardown(() => rmSync(file, { force: true }))
  const size = 200 * 1000 * 1000
  const block = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `${i},${'x'.repeat(20)}\n`).join('').slice(0, 1000 * 1000))
  const fd = openSync(file, 'w')
  for (let written = 0; written < size; written += block.length) writeSync(fd, block)
  closeSync(fd)
  // The CLI's multipart_chunksize: 8 MiB.
  const partMd5s: Buffer[] = []
  let part = createHash('md5')
  let inPart = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    let offset = 0
    while (offset < chunk.length) {
      const take = Math.min(chunk.length - offset, 8 * 1024 * 1024 - inPart)
      part.update(chunk.subarray(offset, offset + take))
      offset += take
      inPart += take
      if (inPart === 8 * 1024 * 1024) { partMd5s.push(part.digest()); part = createHash('md5'); inPart = 0 }
    }
  }
  if (inPart > 0) partMd5s.push(part.digest())
  const expected = `${md5(Buffer.concat(partMd5s))}-${partMd5s.length}`

  for (const checksums of ['default', 'when_required']) {
    const key = `cli-${checksums}.csv`
    const { AWS_REQUEST_CHECKSUM_CALCULATION: _request, AWS_RESPONSE_CHECKSUM_VALIDATION: _response, ...inherited } = process.env
    const env = {
      ...inherited,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      ...(checksums === 'default' ? {} : { AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required' })
    }
    await run('aws', ['--endpoint-url', endpoint, 's3', 'cp', '--only-show-errors', file, `s3://${BUCKET}/${key}`], { env })
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
    t.equal(head.ContentLength, size, `${checksums}: the size`)
    t.equal(head.ETag, `"${expected}"`, `${checksums}: the multipart ETag`)
    const event = await waitFor(async () => events.find(record => decodeEventKey(record.s3.object.key) === key), 5000, 'the event')
    t.match(event, { eventName: 'ObjectCreated:CompleteMultipartUpload', s3: { object: { size, eTag: expected } } }, `${checksums}: the event`)
    const back = join(dir, 'back.csv')
    await run('aws', ['--endpoint-url', endpoint, 's3', 'cp', '--only-show-errors', `s3://${BUCKET}/${key}`, back], { env })
    const [original, copy] = await Promise.all([file, back].map(async path => {
      const hash = createHash('md5')
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
      return hash.digest('hex')
    }))
    t.equal(copy, original, `${checksums}: downloaded back, the same bytes`)
    rmSync(back)
  }
})

t.test('an older version\'s s3rver store is imported once, then removed', async t => {
  const dataDir = dataDirectory(t)
  cpSync(new URL('fixtures/s3rver-store', import.meta.url), join(dataDir, 's3'), { recursive: true })
  const first = await startS3(t, { dataDir })
  const listed = await first.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))
  t.same(listed.Contents?.map(object => [object.Key, object.Size]), [['example.csv', 16], ['reports/2026/q1 final.csv', 8]])
  const report = await first.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'reports/2026/q1 final.csv' }))
  t.equal(await report.Body!.transformToString(), 'x,y\n1,2\n')
  t.match(report, { ContentType: 'text/csv', Metadata: { origin: 'legacy' }, ETag: `"${md5('x,y\n1,2\n')}"` })
  t.notOk(existsSync(join(dataDir, 's3')), 'the old files are gone')
  t.same(first.events, [], 'an import is not an upload: no events')
  await first.close()
  writeFileSync(join(dataDir, 'marker'), '')
  const second = await startS3(t, { dataDir })
  t.equal((await second.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount, 2, 'the next start has the same two')
})
