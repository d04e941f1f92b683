// Signatures checked as S3 and DynamoDB check them, one bucket served, CORS for PUT only: findings 6 (no
// signature was checked), 7 (any client could create another bucket) and 8 (CORS opened reads) of the review.
import t from 'tap'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { createS3Client } from '../../aws/clients.ts'
import { startTestStack } from '../helpers/stack.ts'
import { BUCKET, errorCode, rawRequest, signRequest, startS3 } from '../helpers/s3-endpoint.ts'

const client = (endpoint: string, accessKeyId: string, secretAccessKey: string) =>
  createS3Client({ awsRegion: 'us-east-1', awsEndpoint: endpoint, credentials: { accessKeyId, secretAccessKey } })

function amzDate (date: Date): string {
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '')
}

/** A URL's path and query with one query parameter replaced. */
function withParam (url: URL, name: string, value: string): string {
  const copy = new URL(url)
  copy.searchParams.set(name, value)
  return copy.pathname + copy.search
}

t.test('presigned URLs are bound to key, method, signed headers, date, signature and expiry', async t => {
  const { port, s3 } = await startS3(t)
  const presign = async (key: string, options: { contentLength?: number, expiresIn?: number, signingDate?: Date } = {}) => new URL(await getSignedUrl(
    s3, new PutObjectCommand({ Bucket: BUCKET, Key: key, ContentLength: options.contentLength }),
    { expiresIn: options.expiresIn ?? 60, ...(options.signingDate === undefined ? {} : { signingDate: options.signingDate }), ...(options.contentLength === undefined ? {} : { signableHeaders: new Set(['content-length']) }) }))
  const put = async (path: string, body = 'a,b\n1,2\n', method = 'PUT', headers: Record<string, string> = {}) =>
    await rawRequest(port, { method, path, body, headers: { 'content-type': 'text/csv', ...headers } })

  const url = await presign('a.csv')
  const ok = await put(url.pathname + url.search)
  t.equal(ok.status, 200, 'the URL as issued works')
  t.equal((await put(url.pathname + url.search, 'another body', 'PUT', { 'content-type': 'application/evil' })).status, 200, 'unsigned headers may differ, as on S3')

  const refusals: Array<[string, Promise<Awaited<ReturnType<typeof put>>>, number, string]> = [
    ['another key', put(url.pathname.replace('a.csv', 'b.csv') + url.search), 403, 'SignatureDoesNotMatch'],
    ['another method', put(url.pathname + url.search, '', 'DELETE'), 403, 'SignatureDoesNotMatch'],
    ['a tampered signature', put(withParam(url, 'X-Amz-Signature', '0'.repeat(64))), 403, 'SignatureDoesNotMatch'],
    ['a short signature', put(withParam(url, 'X-Amz-Signature', '00')), 403, 'SignatureDoesNotMatch'],
    ['a later X-Amz-Date', put(withParam(url, 'X-Amz-Date', amzDate(new Date(Date.now() + 60_000)))), 403, 'SignatureDoesNotMatch'],
    ['a longer X-Amz-Expires', put(withParam(url, 'X-Amz-Expires', '600')), 403, 'SignatureDoesNotMatch'],
    ['X-Amz-Expires over a week', put(withParam(url, 'X-Amz-Expires', '604801')), 400, 'AuthorizationQueryParametersError'],
    ['another access key', put(withParam(url, 'X-Amz-Credential', url.searchParams.get('X-Amz-Credential')!.replace(/^test\//, 'other/'))), 403, 'InvalidAccessKeyId']
  ]
  for (const [what, answer, status, code] of refusals) {
    const response = await answer
    t.equal(response.status, status, `${what}: ${status}`)
    t.equal(errorCode(response), code, `${what}: ${code}`)
  }

  const sized = await presign('sized.csv', { contentLength: 8 })
  t.equal((await put(sized.pathname + sized.search, 'x'.repeat(8))).status, 200, 'the signed length')
  const longer = await put(sized.pathname + sized.search, 'x'.repeat(100))
  t.equal(errorCode(longer), 'SignatureDoesNotMatch', 'a 100-byte body for a URL signed for 8 bytes')

  const expired = await presign('late.csv', { expiresIn: 1, signingDate: new Date(Date.now() - 5000) })
  const late = await put(expired.pathname + expired.search)
  t.equal(late.status, 403)
  t.equal(errorCode(late), 'AccessDenied')
  t.match(late.body, 'Request has expired')

  const listing = await rawRequest(port, { method: 'GET', path: `/${BUCKET}?list-type=2` })
  t.equal(errorCode(listing), 'AccessDenied', 'an unsigned request is anonymous: refused')
})

t.test('header-signed requests: wrong keys refused, the payload hash and Content-MD5 checked before the object appears', async t => {
  const { endpoint, port, s3 } = await startS3(t)
  await t.rejects(client(endpoint, 'other', 'test').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k.csv', Body: 'a' })),
    { name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } })
  await t.rejects(client(endpoint, 'test', 'wrong').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k.csv', Body: 'a' })),
    { name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } })

  const path = `/${BUCKET}/hashed.csv`
  const claimed = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' // SHA-256 of "abc"
  const signed = await signRequest(port, { method: 'PUT', path, headers: { 'x-amz-content-sha256': claimed, 'content-length': '3' } })
  const mismatch = await rawRequest(port, { method: 'PUT', path, headers: signed.headers, body: 'abd' })
  t.equal(mismatch.status, 400)
  t.equal(errorCode(mismatch), 'XAmzContentSHA256Mismatch')
  t.equal((await rawRequest(port, { method: 'PUT', path, headers: signed.headers, body: 'abc' })).status, 200, 'the body that was signed')

  await t.rejects(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'md5.csv', Body: 'abc', ContentMD5: Buffer.alloc(16).toString('base64') })), { name: 'BadDigest' })
  await t.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'md5.csv' })), { name: 'NoSuchKey' }, 'nothing stored')
  const old = await signRequest(port, { method: 'GET', path, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, signingDate: new Date(Date.now() - 20 * 60_000) })
  t.equal(errorCode(await rawRequest(port, { method: 'GET', path, headers: old.headers })), 'RequestTimeTooSkewed')
})

t.test('DynamoDB checks signatures too: JSON 400 errors', async t => {
  const { endpoint, port } = await startS3(t)
  const dynamo = (accessKeyId: string, secretAccessKey: string) => new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 })
  t.ok((await dynamo('test', 'test').send(new ListTablesCommand({}))).TableNames, 'the right pair works')
  await t.rejects(dynamo('other', 'test').send(new ListTablesCommand({})), { name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 400 } })
  await t.rejects(dynamo('test', 'wrong').send(new ListTablesCommand({})), { name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } })
  const forged = await rawRequest(port, {
    method: 'POST',
    path: '/',
    headers: {
      'x-amz-target': 'DynamoDB_20120810.Scan',
      'content-type': 'application/x-amz-json-1.0',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00'
    },
    body: '{"TableName":"MetadataTable"}'
  })
  t.equal(forged.status, 400)
  t.match(JSON.parse(forged.body), { __type: /#InvalidSignatureException$/ })
  const anonymous = await rawRequest(port, { method: 'POST', path: '/', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{}' })
  t.match(JSON.parse(anonymous.body), { __type: /#MissingAuthenticationTokenException$/ })
})

t.test('the credential pair is configurable: EMBEDDED_ACCESS_KEY_ID / EMBEDDED_SECRET_ACCESS_KEY', async t => {
  const { s3, stack, config } = await startTestStack(t, { embeddedAccessKeyId: 'local-key', embeddedSecretAccessKey: 'local-secret' })
  t.match(config.credentials, { accessKeyId: 'local-key', secretAccessKey: 'local-secret' })
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'mine.csv', Body: 'a\n1\n' }))
  await t.rejects(client(stack.endpoint, 'test', 'test').send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k.csv', Body: 'a' })), { name: 'InvalidAccessKeyId' })
})

t.test('only the configured bucket: CreateBucket of another is AccessDenied', async t => {
  const { s3 } = await startS3(t)
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }))
  t.pass('the configured bucket: already ours')
  await t.rejects(s3.send(new CreateBucketCommand({ Bucket: 'other-bucket' })), { name: 'AccessDenied', message: /serves only test-bucket/, $metadata: { httpStatusCode: 403 } })
  await t.rejects(s3.send(new PutObjectCommand({ Bucket: 'other-bucket', Key: 'a.csv', Body: 'a' })), { name: 'NoSuchBucket' })
})

t.test('CORS: allowed origins may PUT and read the ETag; no GET, no listing, never credentials', async t => {
  const origin = 'https://good.example'
  const { endpoint, s3 } = await startS3(t, { corsOrigins: [origin] })
  const preflight = async (method: string, path = `/${BUCKET}/a.csv`, from = origin) => await fetch(endpoint + path, {
    method: 'OPTIONS', headers: { origin: from, 'access-control-request-method': method, 'access-control-request-headers': 'content-type' }
  })
  const put = await preflight('PUT')
  t.equal(put.status, 200)
  t.equal(put.headers.get('access-control-allow-origin'), origin)
  t.equal(put.headers.get('access-control-allow-methods'), 'PUT')
  t.equal(put.headers.get('access-control-expose-headers'), 'ETag')
  t.equal(put.headers.get('access-control-allow-credentials'), null, 'never with credentials')
  t.equal((await preflight('POST', `/${BUCKET}/a.csv?uploads`)).status, 200, 'POST to create a multipart upload')
  t.equal((await preflight('GET')).status, 403, 'no GET of objects')
  t.equal((await preflight('GET', `/${BUCKET}`)).status, 403, 'no listing')
  t.equal((await preflight('PUT', `/${BUCKET}/a.csv`, 'https://evil.example')).status, 403, 'other origins')

  const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: 'a.csv' }), { expiresIn: 60 })
  const upload = await fetch(url, { method: 'PUT', body: 'a\n1\n', headers: { origin } })
  t.equal(upload.status, 200)
  t.equal(upload.headers.get('access-control-allow-origin'), origin)
  t.match(upload.headers.get('etag'), /^"[0-9a-f]{32}"$/)
  const read = await fetch(await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'a.csv' }), { expiresIn: 60 }), { headers: { origin } })
  t.equal(read.status, 200, 'a signed GET works')
  t.equal(read.headers.get('access-control-allow-origin'), null, 'but a page cannot read it')
})
