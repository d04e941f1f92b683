// The webhook core: the spec's published signature example, the settings' checks, stable message ids, the retry
// schedule, and single attempts against a real local server (redirects, timeouts, refused connections).
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { loadEmbeddedConfig } from '../../embedded/config.ts'
import { freePort } from '../../scripts/lib/free-port.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { MAX_DETAIL_BYTES, publishedRecord, recordOfEvent, verdictEvent } from '../../shared/verdict-event.ts'
import {
  retryDelay, sendWebhook, shownUrl, webhookHeaders, webhookMessage, webhookSignature, webhookTargets, WEBHOOK_RETRY_DELAYS_MS
} from '../../shared/webhooks.ts'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const KEY = Buffer.from(SECRET.slice(6), 'base64')

const processed: FileMetadata = {
  filename: 'example.csv',
  upload_timestamp: '2026-11-24T10:30:45.000Z',
  file_size_bytes: 85,
  etag: '38be5ecc6beab6baac6bd64c14650589',
  status: 'processed',
  row_count: 2,
  column_count: 5,
  column_names: ['id', 'name', 'age', 'city', 'date'],
  warnings: [],
  processed_at: '2026-11-24T10:30:46.000Z'
}

t.test('the signature of the reference library\'s published example', async t => {
  // standard-webhooks/libraries/javascript/src/webhook.test.ts, "sign function works"
  t.equal(webhookSignature(KEY, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
})

t.test('headers the reference library verifies', async t => {
  const message = webhookMessage(processed)
  const headers = webhookHeaders(message, KEY)
  t.same(Object.keys(headers).sort(), ['content-type', 'user-agent', 'webhook-id', 'webhook-signature', 'webhook-timestamp'])
  t.match(headers['webhook-timestamp'], /^\d{10}$/, 'seconds since the epoch')
  t.same(new Webhook(SECRET).verify(message.body, headers), { type: 'file.processed', timestamp: processed.processed_at, data: processed })
})

t.test('one id per verdict of one version: the same on a re-send, another for another verdict or upload', async t => {
  const first = webhookMessage(processed)
  t.match(first.id, /^msg_[0-9a-f]{32}$/)
  t.equal(webhookMessage({ ...processed, processed_at: '2026-11-24T11:00:00.000Z' }).id, first.id, 'processing the same event again')
  t.not(webhookMessage({ ...processed, status: 'failed', error: { code: 'extra-cell', message: '…' } }).id, first.id)
  t.not(webhookMessage({ ...processed, upload_timestamp: '2026-11-25T00:00:00.000Z' }).id, first.id, 'the same bytes uploaded again')
  t.equal(webhookMessage({ ...processed, status: 'failed' }).type, 'file.failed')
})

t.test('settings: no URL means no webhooks; a URL needs a secret of 24 to 64 bytes; errors hide the secret', async t => {
  t.equal(webhookTargets({}), undefined)
  t.same(webhookTargets({ webhookUrls: 'https://a.example/h,http://127.0.0.1:9/x', webhookSecret: SECRET }),
    { urls: ['https://a.example/h', 'http://127.0.0.1:9/x'], key: KEY })
  t.throws(() => webhookTargets({ webhookUrls: 'https://a.example/h' }), { code: 'invalid-config', message: /WEBHOOK_SECRET is required when WEBHOOK_URLS is set.*\n.*crypto\.randomBytes\(32\)/s })
  t.throws(() => webhookTargets({ webhookUrls: 'https://a.example/h', webhookSecret: 'whsec_c2hvcnQ=' }), { message: /decodes to 5 bytes; Standard Webhooks asks for 24 to 64/ })
  t.throws(() => loadEmbeddedConfig({ WEBHOOK_URLS: 'ftp://a.example/', WEBHOOK_SECRET: SECRET }), { message: /WEBHOOK_URLS="ftp:\/\/a\.example\/": .*Comma-separated http\(s\) URLs/ })
  const hidden = (() => { try { loadEmbeddedConfig({ WEBHOOK_SECRET: 'not-a-secret' }) } catch (err) { return (err as Error).message } })()
  t.match(hidden, /WEBHOOK_SECRET=\(hidden\)/)
  t.notMatch(hidden, /not-a-secret/)
  t.equal(loadEmbeddedConfig({ WEBHOOK_URLS: 'https://a.example/h', WEBHOOK_SECRET: SECRET }).webhooks?.urls[0], 'https://a.example/h')
})

t.test('the retry schedule: 5 s to 1 h, Retry-After when longer, nothing after the last or after 410 Gone', async t => {
  t.same(WEBHOOK_RETRY_DELAYS_MS.map((_, i) => retryDelay(i + 1, { ok: false })), [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000])
  t.equal(retryDelay(WEBHOOK_RETRY_DELAYS_MS.length + 1, { ok: false }), undefined)
  t.equal(retryDelay(1, { ok: false, retryAfterMs: 90_000 }), 90_000)
  t.equal(retryDelay(1, { ok: false, retryAfterMs: 10 * 3_600_000 }), 3_600_000, 'Retry-After is capped at an hour')
  t.equal(retryDelay(1, { ok: false, status: 410, permanent: true }), undefined)
  t.equal(shownUrl('https://user:pw@hooks.example/in?token=abc'), 'https://hooks.example/in')
})

async function serve (t: Test, listener: RequestListener): Promise<string> {
  const server = createServer(listener)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('one attempt: 2xx delivers; a redirect, an error status, silence or no server do not', async t => {
  const message = webhookMessage(processed)
  const base = await serve(t, (req, res) => {
    if (req.url === '/ok') res.writeHead(202).end('thanks')
    else if (req.url === '/moved') res.writeHead(301, { location: '/ok' }).end()
    else if (req.url === '/busy') res.writeHead(503, { 'retry-after': '120' }).end()
    else if (req.url === '/gone') res.writeHead(410).end()
    // /silent never answers
  })
  t.same(await sendWebhook(`${base}/ok`, message, KEY), { ok: true, status: 202 })
  t.same(await sendWebhook(`${base}/moved`, message, KEY), { ok: false, status: 301, error: 'HTTP 301' }, 'redirects are not followed')
  t.same(await sendWebhook(`${base}/busy`, message, KEY), { ok: false, status: 503, error: 'HTTP 503', retryAfterMs: 120_000 })
  t.same(await sendWebhook(`${base}/gone`, message, KEY), { ok: false, status: 410, error: 'HTTP 410', permanent: true })
  t.same(await sendWebhook(`${base}/silent`, message, KEY, 200), { ok: false, error: 'no answer within 0.2 s' })
  const refused = await sendWebhook(`http://127.0.0.1:${await freePort()}/`, message, KEY)
  t.match(refused, { ok: false, error: /^fetch failed: .*ECONNREFUSED/ })
})

t.test('the published event: detail types, the record whole or without its lists when too large', async t => {
  t.match(verdictEvent(processed), { source: 'csv-metadata', detailType: 'File processed', time: new Date(processed.processed_at!) })
  t.equal(verdictEvent({ ...processed, status: 'failed' }).detailType, 'File failed')
  t.throws(() => verdictEvent({ ...processed, status: 'processing' }), /only a final record is published/)
  const wide = { ...processed, column_names: Array.from({ length: 30_000 }, (_, i) => `column number ${i}`) }
  const published = publishedRecord(wide)
  t.equal(published.details_omitted, true)
  t.equal(published.column_names, undefined)
  t.ok(Buffer.byteLength(verdictEvent(wide).detail) <= MAX_DETAIL_BYTES)
  t.same(recordOfEvent({ source: 'csv-metadata', 'detail-type': 'File processed', detail: processed }), { record: processed })
  t.match(recordOfEvent({ source: 'someone-else', 'detail-type': 'File processed', detail: processed }), { reason: /\/source/ })
})
