// Inputs a review chose to break the embedded S3: CORS_ORIGINS=*, header names that are Object.prototype members,
// a trailer that repeats itself, a part without a number, and ListMultipartUploads past one page.
import t from 'tap'
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { decodeAwsChunked } from '../../embedded/s3/chunked.ts'
import { BUCKET, errorCode, rawRequest, signRequest, startS3 } from '../helpers/s3-endpoint.ts'

const UNSIGNED = 'UNSIGNED-PAYLOAD'

t.test('CORS_ORIGINS=* lets any page PUT, as S3\'s AllowedOrigin * does', async t => {
  const { port } = await startS3(t, { corsOrigins: ['*'] })
  const preflight = await rawRequest(port, {
    method: 'OPTIONS',
    path: `/${BUCKET}/a.csv`,
    headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' }
  })
  t.equal(preflight.status, 200)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://app.example.com')
  t.equal(preflight.headers['access-control-allow-credentials'], undefined)
})

t.test('header names that are Object.prototype members are plain unknown names, not a crash', async t => {
  const { port } = await startS3(t)
  const checksum = await signRequest(port, {
    method: 'PUT',
    path: `/${BUCKET}/proto.csv`,
    headers: { 'x-amz-content-sha256': UNSIGNED, 'x-amz-checksum-constructor': 'x', 'content-length': '4' }
  })
  const put = await rawRequest(port, { method: 'PUT', path: checksum.path, headers: checksum.headers, body: 'a,b\n' })
  t.equal(put.status, 200, 'an unknown checksum algorithm is not checked (as CRC32C is not)')

  const signed = await signRequest(port, { method: 'GET', path: `/${BUCKET}/proto.csv`, headers: { 'x-amz-content-sha256': UNSIGNED } })
  for (const name of ['constructor', 'tostring', '__proto__', 'hasownproperty']) {
    const authorization = signed.headers.authorization!.replace(/SignedHeaders=[^,]+/, `SignedHeaders=${name};host;x-amz-content-sha256;x-amz-date`)
    const get = await rawRequest(port, { method: 'GET', path: signed.path, headers: { ...signed.headers, authorization } })
    t.equal(get.status, 403, `SignedHeaders=${name}…: refused`)
    t.equal(errorCode(get), 'SignatureDoesNotMatch', `SignedHeaders=${name}…: as a wrong signature, not an internal error`)
  }
})

t.test('an aws-chunked trailer may not repeat a line without end', async t => {
  const trailer = Array.from({ length: 1000 }, () => 'x-amz-checksum-crc32:AAAAAA==\r\n').join('')
  const body = decodeAwsChunked((async function * () { yield Buffer.from(`3\r\nabc\r\n0\r\n${trailer}\r\n`) })(), { decodedLength: 3 })
  await t.rejects(async () => { for await (const chunk of body.data) t.ok(chunk.length > 0) }, { message: /too many trailers/ })
})

t.test('UploadPart needs a part number from 1; Complete refuses part 0', async t => {
  const { port, s3 } = await startS3(t)
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts.csv' }))
  const queries: Array<Record<string, string>> = [{ uploadId: UploadId! }, { uploadId: UploadId!, partNumber: '0' }]
  for (const query of queries) {
    const signed = await signRequest(port, { method: 'PUT', path: `/${BUCKET}/parts.csv`, query, headers: { 'x-amz-content-sha256': UNSIGNED, 'content-length': '4' } })
    const put = await rawRequest(port, { method: 'PUT', path: signed.path, headers: signed.headers, body: 'a,b\n' })
    t.equal(put.status, 400, `partNumber ${query.partNumber ?? '(none)'}: refused`)
    t.equal(errorCode(put), 'InvalidArgument')
  }
  const xml = '<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>"abc"</ETag></Part></CompleteMultipartUpload>'
  const complete = await signRequest(port, { method: 'POST', path: `/${BUCKET}/parts.csv`, query: { uploadId: UploadId! }, headers: { 'x-amz-content-sha256': UNSIGNED, 'content-length': String(xml.length) } })
  const answer = await rawRequest(port, { method: 'POST', path: complete.path, headers: complete.headers, body: xml })
  t.equal(errorCode(answer), 'MalformedXML', 'part 0 in CompleteMultipartUpload')
})

t.test('ListMultipartUploads pages with its key and upload-id markers', async t => {
  const { s3 } = await startS3(t)
  const keys = ['a.csv', 'b.csv', 'b.csv', 'c.csv']
  for (const key of keys) await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))
  const seen: string[] = []
  let markers: { KeyMarker?: string, UploadIdMarker?: string } = {}
  for (let page = 0; page < 10; page++) {
    const answer = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, MaxUploads: 1, ...markers }))
    seen.push(...(answer.Uploads ?? []).map(upload => `${upload.Key}/${upload.UploadId}`))
    if (answer.IsTruncated !== true) break
    markers = { KeyMarker: answer.NextKeyMarker!, UploadIdMarker: answer.NextUploadIdMarker! }
  }
  t.equal(seen.length, 4, 'every upload once, over four pages')
  t.equal(new Set(seen).size, 4, 'no page repeats another')
  t.same(seen.map(entry => entry.split('/')[0]), keys, 'in key order')
})
