// POST /uploads through app.inject: the presigned URL, the filename rules and the problem-details errors.
import t from 'tap'
import { buildApp } from '../../api/app.ts'
import { testConfig } from '../helpers/stack.ts'

t.test('POST /uploads', async t => {
  const config = testConfig()
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/uploads', payload: payload as object, headers })

  t.test('answers 201 with a presigned PUT URL for exactly that key, valid 15 minutes', async t => {
    const before = Date.now()
    const res = await post({ filename: 'example.csv' })
    t.equal(res.statusCode, 201)
    const body = res.json()
    t.match(body, { filename: 'example.csv', bucket: 'test-bucket', key: 'example.csv', method: 'PUT', headers: {} })
    const url = new URL(body.uploadUrl)
    t.equal(url.origin, config.s3PublicEndpoint)
    t.equal(url.pathname, '/test-bucket/example.csv')
    t.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256')
    t.equal(url.searchParams.get('X-Amz-Expires'), '900')
    t.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host')
    t.notOk(url.searchParams.has('x-amz-checksum-crc32'), 'no checksum of an empty body is signed')
    const expiresIn = Date.parse(body.expiresAt) - before
    t.ok(expiresIn >= 899_000 && expiresIn <= 901_000, `expiresAt is 15 minutes ahead (${expiresIn} ms)`)
  })

  t.test('keys with spaces and unicode are encoded in the URL', async t => {
    const res = await post({ filename: 'my data été.csv' })
    t.equal(res.statusCode, 201)
    t.equal(new URL(res.json().uploadUrl).pathname, '/test-bucket/my%20data%20%C3%A9t%C3%A9.csv')
  })

  t.test('gzipped, tab-separated and text exports are accepted too', async t => {
    for (const filename of ['orders.csv.gz', 'data.tsv', 'Unicode Text.txt', 'export.TXT.GZ']) {
      const res = await post({ filename })
      t.equal(res.statusCode, 201, filename)
      t.equal(res.json().key, filename)
    }
  })

  t.test('a declared contentLength is signed and must be sent', async t => {
    const res = await post({ filename: 'big.csv', contentLength: 1234 })
    t.equal(res.statusCode, 201)
    t.same(res.json().headers, { 'content-length': '1234' })
    t.equal(new URL(res.json().uploadUrl).searchParams.get('X-Amz-SignedHeaders'), 'content-length;host')
  })

  t.test('bad filenames get 400 invalid-filename with the reason', async t => {
    const cases: Array<[string, RegExp]> = [
      ['data.xlsx', /must end in "\.csv"/],
      ['../etc/passwd.csv', /must not contain "\/"/],
      ['.hidden.csv', /must not start with "\."/],
      ['bad\u0007.csv', /control characters/]
    ]
    for (const [filename, reason] of cases) {
      const res = await post({ filename })
      t.equal(res.statusCode, 400, filename)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.match(res.json(), { type: 'about:blank', title: 'Bad Request', status: 400, code: 'invalid-filename', detail: reason, instance: '/uploads' })
    }
  })

  t.test('schema violations get 400 invalid-request naming the field', async t => {
    t.match((await post({})).json(), { status: 400, code: 'invalid-request', detail: /filename/ })
    t.match((await post({ filename: 'x'.repeat(256) + '.csv' })).json(), { code: 'invalid-request', detail: 'body/filename must not have more than 255 characters' })
    t.match((await post({ filename: 'a.csv', contentLength: -1 })).json(), { code: 'invalid-request', detail: /contentLength/ })
  })

  t.test('unknown fields are ignored', async t => {
    t.equal((await post({ filename: 'a.csv', extra: 1 })).statusCode, 201)
  })

  t.test('a contentLength over the limit gets 413 upload-too-large', async t => {
    const res = await post({ filename: 'huge.csv', contentLength: 5 * 1024 ** 3 + 1 })
    t.equal(res.statusCode, 413)
    t.match(res.json(), { code: 'upload-too-large', detail: /exceeds the upload limit of 5368709120 bytes/ })
  })

  t.test('malformed, oversized and non-JSON bodies get clear problems', async t => {
    const json = { 'content-type': 'application/json' }
    t.match((await post('{"filename":', json)).json(), { status: 400, code: 'invalid-request' })
    t.match((await post(JSON.stringify({ filename: 'a'.repeat(20_000) + '.csv' }), json)).json(), { status: 413, code: 'payload-too-large' })
    t.match((await post('filename=a.csv', { 'content-type': 'text/plain' })).json(), { status: 400, code: 'invalid-request', detail: 'body must be object' })
    t.match((await post('<filename/>', { 'content-type': 'application/xml' })).json(), { status: 415, code: 'unsupported-media-type' })
  })
})

t.test('a configured S3_PUBLIC_ENDPOINT and expiry are used in the URL', async t => {
  const app = await buildApp({ config: testConfig({ s3PublicEndpoint: 'http://localhost:4566', uploadUrlExpiresIn: 60 }) })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'POST', url: '/uploads', payload: { filename: 'a.csv' } })
  const url = new URL(res.json().uploadUrl)
  t.equal(url.host, 'localhost:4566')
  t.equal(url.searchParams.get('X-Amz-Expires'), '60')
})

t.test('unknown routes get a 404 problem', async t => {
  const app = await buildApp({ config: testConfig() })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/nope?x=1' })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { code: 'not-found', instance: '/nope', detail: /See \/docs/ })
})
