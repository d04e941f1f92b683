// Every 4xx and 5xx the API can give, the odd ones included, is RFC 9457 problem details with a stable code.
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { buildApp } from '../../api/app.ts'
import { freePort, startEmulator, testConfig } from '../helpers/stack.ts'
import { failingServices } from '../helpers/services.ts'

const PROBLEM = 'application/problem+json; charset=utf-8'

async function raw (app: FastifyInstance, request: string): Promise<string> {
  const { port } = app.server.address() as { port: number }
  const socket = connect(port, '127.0.0.1')
  let text = ''
  socket.on('data', chunk => { text += chunk.toString() })
  socket.on('error', () => {})
  socket.end(request)
  await once(socket, 'close')
  return text
}

t.test('every error answer is problem details', async t => {
  const { config } = await startEmulator(t)
  const apps = {
    up: await buildApp({ config }),
    down: await buildApp({ config: testConfig({ embeddedPort: await freePort() }) }),
    keyed: await buildApp({ config: { ...config, apiKey: 'k3y-0f-at-least-16-chars' } }),
    broken: await buildApp({
      config,
      services: {
        ...failingServices(() => new TypeError('a bug')),
        presignUpload: async () => { throw new TypeError('a bug') },
        getFile: async () => { throw new TypeError('a bug') },
        listFiles: async () => { throw new TypeError('a bug') },
        checkReady: async () => { throw new TypeError('a bug') }
      }
    })
  }
  t.teardown(() => Promise.all(Object.values(apps).map(app => app.close())))
  const json = { 'content-type': 'application/json' }

  const cases: Array<[keyof typeof apps, InjectOptions, number, string]> = [
    ['up', { url: '/nope' }, 404, 'not-found'],
    ['up', { method: 'DELETE', url: '/files/a.csv' }, 404, 'not-found'],
    ['up', { method: 'PUT', url: '/uploads' }, 404, 'not-found'],
    ['up', { url: '/files/missing.csv' }, 404, 'file-not-found'],
    ['up', { url: '/files/missing.csv/profile' }, 404, 'file-not-found'],
    ['up', { url: '/files/%ZZ' }, 400, 'invalid-url'],
    ['up', { url: `/files/${'n'.repeat(3073)}` }, 414, 'uri-too-long'],
    ['up', { url: '/files?limit=0' }, 400, 'invalid-request'],
    ['up', { url: '/files?limit=5&limit=6' }, 400, 'invalid-request'],
    ['up', { url: '/files?cursor=x' }, 400, 'invalid-cursor'],
    ['up', { method: 'POST', url: '/uploads', headers: json, payload: '{"filename":' }, 400, 'invalid-request'],
    ['up', { method: 'POST', url: '/uploads', headers: json, payload: '' }, 400, 'invalid-request'],
    ['up', { method: 'POST', url: '/uploads', headers: json, payload: '[]' }, 400, 'invalid-request'],
    ['up', { method: 'POST', url: '/uploads', headers: json, payload: '{"__proto__":{"x":1},"filename":"a.csv"}' }, 400, 'invalid-request'],
    ['up', { method: 'POST', url: '/uploads', payload: { filename: 'a.txt.exe' } }, 400, 'invalid-filename'],
    ['up', { method: 'POST', url: '/uploads', payload: { filename: 'a.csv', contentLength: 6 * 1024 ** 3 } }, 413, 'upload-too-large'],
    ['up', { method: 'POST', url: '/uploads', headers: json, payload: JSON.stringify({ filename: 'a'.repeat(20_000) }) }, 413, 'payload-too-large'],
    ['up', { method: 'POST', url: '/uploads', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }, 415, 'unsupported-media-type'],
    ['keyed', { url: '/files' }, 401, 'unauthorized'],
    ['keyed', { url: '/files/a.csv', headers: { authorization: 'Bearer wrong' } }, 401, 'unauthorized'],
    ['down', { url: '/files' }, 503, 'service-unavailable'],
    ['down', { url: '/files/a.csv' }, 503, 'service-unavailable'],
    ['down', { url: '/files/a.csv/profile' }, 503, 'service-unavailable'],
    ['keyed', { url: '/files/a.csv/profile' }, 401, 'unauthorized'],
    ['broken', { url: '/files/a.csv/profile' }, 500, 'internal-error'],
    ['down', { url: '/ready' }, 503, 'not-ready'],
    ['broken', { url: '/files' }, 500, 'internal-error'],
    ['broken', { url: '/ready' }, 500, 'internal-error'],
    ['broken', { method: 'POST', url: '/uploads', payload: { filename: 'a.csv' } }, 500, 'internal-error']
  ]
  for (const [which, request, status, code] of cases) {
    const res = await apps[which].inject(request)
    const what = `${which}: ${request.method ?? 'GET'} ${String(request.url).slice(0, 40)}`
    t.equal(res.statusCode, status, what)
    t.equal(res.headers['content-type'], PROBLEM, what)
    t.match(res.json(), { type: 'about:blank', title: String, status, code, detail: String, instance: String, requestId: String }, what)
    t.notMatch(res.body, /a bug|at .*\.ts:\d+/, `${what}: nothing internal`)
  }

  t.test('over HTTP, what the Node server refuses before Fastify sees a request', async t => {
    const app = apps.up
    await app.listen({ host: '127.0.0.1', port: 0 })
    const answers: Array<[string, number, string]> = [
      [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers-too-large'],
      ['GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'bad-request'],
      ['\x00\x01\x02 not http\r\n\r\n', 400, 'bad-request']
    ]
    for (const [request, status, code] of answers) {
      const text = await raw(app, request)
      const [head = '', body = '{}'] = text.split('\r\n\r\n')
      t.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), code)
      t.match(head, /content-type: application\/problem\+json; charset=utf-8/i, code)
      t.match(JSON.parse(body), { type: 'about:blank', status, code, detail: String }, code)
    }
  })
})
