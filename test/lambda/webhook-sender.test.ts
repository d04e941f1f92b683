// The AWS webhook sender, given EventBridge's event as the rule delivers it, against real local receivers: each URL
// gets the signed message; a failure rejects (Lambda retries), naming the URL; 410 Gone and foreign events do not.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { createWebhookSender } from '../../lambda/webhook-sender.ts'
import { createLogger } from '../../lambda/logger.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { webhookTargets } from '../../shared/webhooks.ts'

const SECRET = `whsec_${randomBytes(24).toString('base64')}`
const record: FileMetadata = {
  filename: 'a.csv', upload_timestamp: '2026-11-24T10:30:45.000Z', file_size_bytes: 85, etag: 'e', status: 'processed', row_count: 2, processed_at: '2026-11-24T10:30:46.000Z'
}
/** An event as EventBridge hands it to a rule's Lambda target. */
const event = {
  version: '0', id: 'c3b2', 'detail-type': 'File processed', source: 'csv-metadata', account: '123456789012', time: '2026-11-24T10:30:46Z', region: 'us-east-1', resources: [], detail: record
}

t.test('the sender', async t => {
  const bodies: Array<{ path: string, body: string, headers: Record<string, string> }> = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => { body += String(chunk) })
    req.on('end', () => {
      bodies.push({ path: req.url!, body, headers: req.headers as Record<string, string> })
      res.writeHead(req.url === '/down' ? 500 : req.url === '/gone' ? 410 : 200).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const lines: string[] = []
  const sender = (paths: string[]) => createWebhookSender(webhookTargets({ webhookUrls: paths.map(p => base + p).join(','), webhookSecret: SECRET })!,
    createLogger('info', { write: line => { lines.push(line) } }))

  t.test('every URL gets the message, signed', async t => {
    bodies.length = 0
    await sender(['/one', '/two'])(event)
    t.same(bodies.map(b => b.path).sort(), ['/one', '/two'])
    for (const { body, headers } of bodies) t.match(new Webhook(SECRET).verify(body, headers), { type: 'file.processed', data: record })
  })

  t.test('a failed URL rejects after the others were sent, so Lambda retries; 410 Gone is not retried', async t => {
    bodies.length = 0
    await t.rejects(sender(['/down', '/ok', '/gone'])(event), { message: /^1 of 3 webhook deliveries of msg_[0-9a-f]{32} failed: http:\/\/127\.0\.0\.1:\d+\/down: HTTP 500$/ })
    t.equal(bodies.length, 3)
    await sender(['/gone'])(event)
    t.match(lines.map(line => JSON.parse(line)).filter(line => line.level === 'error').map(line => line.msg), [/to .*\/down failed: HTTP 500/, /to .*\/gone failed: HTTP 410/, /gone failed: HTTP 410/])
  })

  t.test('an event addressed to one URL (as each rule target sends it) goes to that URL only, if it is configured', async t => {
    bodies.length = 0
    const send = sender(['/one', '/two'])
    await send({ url: `${base}/two`, event })
    t.same(bodies.map(b => b.path), ['/two'])
    await t.rejects(sender(['/one', '/down'])({ url: `${base}/down`, event }), { message: /^1 of 1 webhook deliveries of msg_\w+ failed: .*\/down: HTTP 500$/ }, 'its failure alone fails the invocation')
    t.same(bodies.map(b => b.path), ['/two', '/down'], '/one was not sent again')
    bodies.length = 0
    await sender(['/one'])({ url: `${base}/two?token=x`, event })
    t.equal(bodies.length, 0, 'a URL WEBHOOK_URLS does not hold is never called')
    t.match(lines.at(-1), /ignoring an event for http:\/\/127\.0\.0\.1:\d+\/two: not one of WEBHOOK_URLS/)
    t.notMatch(lines.at(-1), /token/)
  })

  t.test('an event that is not a verdict is logged and dropped', async t => {
    bodies.length = 0
    await sender(['/one'])({ ...event, source: 'aws.s3' })
    t.equal(bodies.length, 0)
    t.match(lines.at(-1), /ignoring an event that is not a verdict: \/source/)
  })
})
