// What the API answers to hostile or odd requests: always problem details, never a 500, never held open.
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../api/app.ts'
import { READY_CACHE_MS } from '../../api/routes/health.ts'
import { singleFlight } from '../../api/single-flight.ts'
import type { ApiServices } from '../../api/services.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { printable } from '../../shared/printable.ts'
import { startEmulator, testConfig } from '../helpers/stack.ts'
import { failingServices } from '../helpers/services.ts'

const PROBLEM = 'application/problem+json; charset=utf-8'

function record (filename: string): FileMetadata {
  return { filename, upload_timestamp: '2026-11-24T10:00:00.000Z', file_size_bytes: 85, etag: 'abc', status: 'processed', row_count: 2 }
}

/** Sends raw bytes to the listening app and resolves with everything it answers before closing the connection. */
async function raw (app: FastifyInstance, request: string, { trickle = false } = {}): Promise<{ text: string, ms: number }> {
  const { port } = app.server.address() as { port: number }
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const started = Date.now()
  let text = ''
  socket.on('data', chunk => { text += chunk.toString() })
  socket.on('error', () => {})
  let timer: NodeJS.Timeout | undefined
  if (trickle) {
    socket.write(request)
    // One byte of body every 2 s: the declared 100 bytes would take over three minutes.
    timer = setInterval(() => { if (socket.writable) socket.write('a') }, 2000)
  } else {
    socket.end(request)
  }
  await once(socket, 'close')
  clearInterval(timer)
  return { text, ms: Date.now() - started }
}

function problemOf (text: string): { status: number, contentType: string | undefined, body: Record<string, unknown> } {
  const [head = '', body = ''] = text.split('\r\n\r\n')
  return {
    status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
    contentType: /content-type: ([^\r\n]+)/i.exec(head)?.[1],
    body: JSON.parse(body)
  }
}

t.test('API answers to odd input', async t => {
  const { config, table } = await startEmulator(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/uploads', payload: payload as object })

  t.test('a cursor that decodes to empty key parts is 400 invalid-cursor, not 500', async t => {
    for (const parts of [['', '2026-01-01T00:00:00.000Z'], ['a.csv', ''], ['a.csv', 'not a time']]) {
      const cursor = Buffer.from(JSON.stringify(parts)).toString('base64url')
      const res = await app.inject(`/files?cursor=${cursor}`)
      t.equal(res.statusCode, 400, JSON.stringify(parts))
      t.match(res.json(), { code: 'invalid-cursor' })
    }
  })

  t.test('a filename with a lone surrogate is 400 invalid-filename, not 500', async t => {
    const res = await app.inject({ method: 'POST', url: '/uploads', headers: { 'content-type': 'application/json' }, payload: '{"filename":"a\\ud800b.csv"}' })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'invalid-filename', detail: /valid Unicode text/ })
  })

  t.test('deceptive names are refused with the rule they break', async t => {
    const cases: Array<[string, RegExp]> = [
      ['evil\u202efdp.csv', /bidirectional/],
      ['a\u2028b.csv', /line or paragraph separators/],
      ['a\uff0fb.csv', /looks like "\/"/],
      ['a\u2215b.csv', /looks like "\/"/],
      ['a\u2044b.csv', /looks like "\/"/],
      ['a\u29f8b.csv', /looks like "\/"/],
      ['    .csv', /not only spaces/],
      ['e\u0301.csv', /NFC/]
    ]
    for (const [filename, detail] of cases) {
      const res = await post({ filename })
      t.equal(res.statusCode, 400, printable(filename))
      t.match(res.json(), { code: 'invalid-filename', detail }, printable(filename))
    }
    t.equal((await post({ filename: '\u00e9.csv' })).statusCode, 201, 'the NFC form is accepted')
  })

  t.test('request bodies are taken as sent: no coercion of types', async t => {
    for (const body of [{ filename: 'a.csv', contentLength: '85' }, { filename: 'a.csv', contentLength: null }, { filename: 'a.csv', contentLength: true }, { filename: ['a.csv'] }]) {
      const res = await post(body)
      t.equal(res.statusCode, 400, JSON.stringify(body))
      t.match(res.json(), { code: 'invalid-request', detail: /^body\/(contentLength|filename) must be (integer|string)$/ }, JSON.stringify(body))
    }
    t.equal((await post({ filename: 'a.csv', contentLength: 85 })).statusCode, 201)
  })

  t.test('query strings are still converted: ?limit=5 is the number 5', async t => {
    for (const name of ['q1.csv', 'q2.csv', 'q3.csv']) await table.put(record(name))
    const res = await app.inject('/files?limit=2')
    t.equal(res.statusCode, 200)
    t.equal(res.json().items.length, 2)
    t.equal((await app.inject('/files?limit=5')).statusCode, 200)
    t.equal((await app.inject('/files?status=processed')).json().items.length, 3, 'the default limit still applies (the uploads above are listed as uploading)')
  })

  t.test('names of 101 to 1,024 characters can be read back, even fully percent-encoded', async t => {
    const long = 'n'.repeat(251) + '.csv'
    await table.put(record(long))
    const res = await app.inject(`/files/${long}`)
    t.equal(res.statusCode, 200)
    t.equal(res.json().filename, long)

    const widest = 'é'.repeat(510) + 'x.csv'.slice(0, 4) // 1,024 bytes of UTF-8: the longest S3 key
    t.equal(Buffer.byteLength(widest), 1024)
    await table.put(record(widest))
    const encoded = [...Buffer.from(widest)].map(b => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('')
    t.equal(encoded.length, 3072)
    const found = await app.inject(`/files/${encoded}`)
    t.equal(found.statusCode, 200)
    t.equal(found.json().filename, widest)
  })

  t.test('what the router refuses is problem details too: a longer name (414), a bad escape (400)', async t => {
    const tooLong = await app.inject(`/files/${'n'.repeat(3073)}`)
    t.equal(tooLong.statusCode, 414)
    t.equal(tooLong.headers['content-type'], PROBLEM)
    t.match(tooLong.json(), { status: 414, code: 'uri-too-long', title: 'URI Too Long', requestId: /./ })
    t.ok(tooLong.json().detail.length < 100, 'the detail does not echo the path back')
    const badEscape = await app.inject('/files/%ZZ')
    t.equal(badEscape.statusCode, 400)
    t.equal(badEscape.headers['content-type'], PROBLEM)
    t.match(badEscape.json(), { status: 400, code: 'invalid-url', instance: '/files/%ZZ' })
  })
})

t.test('over HTTP: oversized headers, broken HTTP and a trickled body get problem details and a closed connection', async t => {
  const app = await buildApp({ config: testConfig() })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })

  const big = problemOf((await raw(app, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).text)
  t.equal(big.status, 431)
  t.equal(big.contentType, PROBLEM)
  t.match(big.body, { type: 'about:blank', title: 'Request Header Fields Too Large', status: 431, code: 'headers-too-large' })

  const broken = problemOf((await raw(app, 'NOT HTTP AT ALL\r\n\r\n')).text)
  t.equal(broken.status, 400)
  t.match(broken.body, { status: 400, code: 'bad-request' })

  const slow = await raw(app, 'POST /uploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{', { trickle: true })
  t.ok(slow.ms < 15_000, `the connection was cut after ${slow.ms} ms, not held open`)
  if (slow.text !== '') t.match(problemOf(slow.text), { status: 408, body: { code: 'request-timeout' } })
  t.ok(app.server.timeout > app.server.keepAliveTimeout, 'an idle keep-alive connection is closed by keep-alive, never cut before a load balancer expects')
})

t.test('/ready runs one check at a time and reuses its answer for a moment', async t => {
  let calls = 0
  let release = () => {}
  const services: ApiServices = {
    ...failingServices(() => new Error('unused')),
    presignUpload: async () => { throw new Error('unused') },
    getFile: async () => undefined,
    listFiles: async () => ({ items: [], nextCursor: null }),
    checkReady: async () => {
      calls++
      await new Promise<void>(resolve => { release = resolve })
      return { 's3://test-bucket': 'ok' }
    }
  }
  const app = await buildApp({ config: testConfig(), services })
  t.teardown(() => app.close())
  const answers = Array.from({ length: 16 }, () => app.inject('/ready'))
  await new Promise(resolve => setImmediate(resolve))
  release()
  for (const res of await Promise.all(answers)) t.equal(res.statusCode, 200)
  t.equal(calls, 1, '16 concurrent calls, one check')
  t.equal((await app.inject('/ready')).statusCode, 200)
  t.equal(calls, 1, 'a call right after reuses the answer')
})

t.test('singleFlight forgets its answer after the time given, and never remembers a failure', async t => {
  let clock = 0
  let calls = 0
  let fail = false
  const check = singleFlight(async () => {
    calls++
    if (fail) throw new Error('down')
    return calls
  }, READY_CACHE_MS, () => clock)
  t.equal(await check(), 1)
  clock = READY_CACHE_MS - 1
  t.equal(await check(), 1)
  clock = READY_CACHE_MS
  fail = true
  await t.rejects(check(), /down/)
  fail = false
  t.equal(await check(), 3, 'the failure was not kept')
})
