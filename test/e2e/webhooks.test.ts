// Webhooks through the real embedded stack (S3 event → processor → EventBridge PutEvents → delivery) to a real HTTP
// receiver started here: signatures checked with the spec's reference library and an independent HMAC, retries
// keep the webhook-id, exhausted retries end as dead letters, and a restart sends what was left pending.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, readdirSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import pino from 'pino'
import { Webhook } from 'standardwebhooks'
import { createS3Client } from '../../aws/clients.ts'
import { startEmbeddedStack } from '../../embedded/stack.ts'
import { readWebhookDeadLetters, webhookDeadLetterFolder, pendingFolder } from '../../embedded/webhook-deliveries.ts'
import { LOG_FORMAT } from '../../shared/logger.ts'
import { dataDirectory } from '../helpers/data-dir.ts'
import { SEED } from '../helpers/sample.ts'
import { freePort, startTestStack, testConfig, waitFor } from '../helpers/stack.ts'

const SECRET = `whsec_${randomBytes(32).toString('base64')}`

interface Received { headers: IncomingHttpHeaders, body: string, status: number }

/** A real HTTP server that records every request and answers what `answer` says for its body's filename. */
async function startReceiver (t: Test, answer: (filename: string) => number = () => 204) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', chunk => { body += chunk })
    req.on('end', () => {
      const status = answer((JSON.parse(body) as { data: { filename: string } }).data.filename)
      received.push({ headers: req.headers, body, status })
      res.writeHead(status).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  const for_ = (filename: string) => received.filter(r => (JSON.parse(r.body) as { data: { filename: string } }).data.filename === filename)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks?token=abc`, received, for: for_ }
}

/** Lines the stack logs, parsed. */
function logLines () {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ ...LOG_FORMAT, level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } })
  return { lines, logger }
}

/** The receiver's own check, written from the spec: HMAC-SHA256 of "id.timestamp.body" with the decoded secret. */
function independentlyVerified ({ headers, body }: Received): boolean {
  const expected = createHmac('sha256', Buffer.from(SECRET.slice('whsec_'.length), 'base64'))
    .update(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`).digest('base64')
  return String(headers['webhook-signature']).split(' ').includes(`v1,${expected}`)
}

t.test('a processed and a failed file each reach the receiver, signed as Standard Webhooks says', async t => {
  const receiver = await startReceiver(t)
  const { config, s3 } = await startTestStack(t, { webhookUrls: receiver.url, webhookSecret: SECRET })
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'good.csv', Body: SEED }))
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'empty.csv', Body: '' }))
  await waitFor(async () => receiver.received.length >= 2 || undefined, 20_000, 'two webhooks')

  const reference = new Webhook(SECRET)
  for (const request of receiver.received) {
    t.doesNotThrow(() => reference.verify(request.body, request.headers as Record<string, string>), 'the reference library verifies it')
    t.ok(independentlyVerified(request), 'an independent HMAC agrees')
    t.equal(request.headers['content-type'], 'application/json')
    t.match(request.headers['webhook-id'], /^msg_[0-9a-f]{32}$/)
    t.ok(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000) < 60, 'timestamped in seconds, now')
  }
  const [good] = receiver.for('good.csv')
  t.match(JSON.parse(good!.body), {
    type: 'file.processed',
    timestamp: /^\d{4}-\d\d-\d\dT/,
    data: { filename: 'good.csv', status: 'processed', row_count: 2, column_names: ['id', 'name', 'age', 'city', 'date'] }
  })
  const [empty] = receiver.for('empty.csv')
  t.match(JSON.parse(empty!.body), { type: 'file.failed', data: { filename: 'empty.csv', status: 'failed', error: { code: 'empty-file' } } })
  t.equal(receiver.received.length, 2, 'one message per verdict (no processing record is sent)')
})

t.test('a receiver that answers 500 gets the same message again, and a tampered body fails verification', async t => {
  let calls = 0
  const receiver = await startReceiver(t, () => ++calls === 1 ? 500 : 200)
  const { config, s3 } = await startTestStack(t, { webhookUrls: receiver.url, webhookSecret: SECRET }, { webhookRetryDelaysMs: [50, 50] })
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'retried.csv', Body: SEED }))
  await waitFor(async () => receiver.received.some(r => r.status === 200) || undefined, 20_000, 'a delivered retry')
  const [first, second] = receiver.received
  t.same([first!.status, second!.status], [500, 200])
  t.equal(second!.headers['webhook-id'], first!.headers['webhook-id'], 'the same webhook-id on the retry')
  t.equal(second!.body, first!.body, 'the same body')
  t.ok(independentlyVerified(second!), 'the retry is signed with its own timestamp')
  t.throws(() => new Webhook(SECRET).verify(second!.body.replace('retried', 'forged!'), second!.headers as Record<string, string>), 'a changed body does not verify')
  await waitFor(async () => readdirSync(pendingFolder(config.dataDir)).length === 0 || undefined, 5_000, 'nothing left pending once delivered')
  t.equal(receiver.received.length, 2, 'not sent again once delivered')
})

t.test('a delivery that fails every attempt becomes a dead letter, logged at error level', async t => {
  const receiver = await startReceiver(t, () => 503)
  const { lines, logger } = logLines()
  const { config, s3 } = await startTestStack(t, { webhookUrls: receiver.url, webhookSecret: SECRET }, { webhookRetryDelaysMs: [20, 40], logger })
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'refused.csv', Body: SEED }))
  const [letter] = await waitFor(async () => { const letters = readWebhookDeadLetters(config.dataDir); return letters.length > 0 ? letters : undefined }, 20_000, 'a dead letter')
  t.equal(receiver.received.length, 3, 'the first attempt and two retries')
  t.match(letter, { url: receiver.url, filename: 'refused.csv', attempts: 3, lastError: 'HTTP 503', message: { type: 'file.processed', id: receiver.received[0]!.headers['webhook-id'] } })
  t.same(readdirSync(pendingFolder(config.dataDir)), [], 'no longer pending')
  const error = lines.find(line => line.level === 'error')
  t.match(error, { msg: /^webhook file\.processed for refused\.csv to http:\S+ failed 3 time\(s\), last with HTTP 503; given up, kept in .*dead-letters/, url: receiver.url.replace('?token=abc', ''), webhookId: /^msg_/ })
  t.notMatch(JSON.stringify(lines), /token=abc/, 'the URL\'s query (which may hold a token) is never logged')
  t.equal(lines.filter(line => line.level === 'warn').length, 2, 'each failed attempt before the last is a warning')
  t.match(lines[0], { level: 'info', msg: 'sending webhooks to 1 URL(s)', urls: [receiver.url.replace('?token=abc', '')] }, 'the start says where webhooks go')
})

t.test('a delivery pending when the stack stops is sent by the next start', async t => {
  let up = false
  const receiver = await startReceiver(t, () => up ? 200 : 500)
  const dataDir = dataDirectory(t)
  const config = testConfig({ embeddedPort: await freePort(), dataDir, webhookUrls: receiver.url, webhookSecret: SECRET })
  const retries = { output: 'ignore' as const, webhookRetryDelaysMs: Array<number>(10).fill(1000) }
  const first = await startEmbeddedStack(config, retries)
  await first.caughtUp
  await createS3Client(config).send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'pending.csv', Body: SEED }))
  await waitFor(async () => receiver.received.length > 0 || undefined, 20_000, 'the first attempt')
  await first.close()
  const refused = receiver.received.length
  t.equal(readdirSync(pendingFolder(dataDir)).length, 1, 'kept on disk while the stack is down')

  up = true
  const second = await startEmbeddedStack(config, retries)
  t.teardown(() => second.close())
  await waitFor(async () => receiver.received.some(r => r.status === 200) || undefined, 20_000, 'the delivery after the restart')
  t.ok(refused >= 1 && receiver.received.slice(0, refused).every(r => r.status === 500), 'refused while the first stack ran')
  t.equal(new Set(receiver.received.map(r => r.headers['webhook-id'])).size, 1, 'one message throughout')
  await waitFor(async () => readdirSync(pendingFolder(dataDir)).length === 0 || undefined, 5_000, 'the pending file to go')
  t.equal(existsSync(webhookDeadLetterFolder(dataDir)), false, 'no dead letter')
})

t.test('npm start refuses WEBHOOK_URLS without WEBHOOK_SECRET, saying how to make one', async t => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const refused = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'embedded/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, WEBHOOK_URLS: 'https://hooks.example/in', DATA_DIR: dataDirectory(t), PORT: '0', EMBEDDED_PORT: '0' }
  }).then(() => undefined, (err: { code: number, stderr: string }) => err)
  t.equal(refused?.code, 1)
  t.match(refused?.stderr, /^Cannot start: Invalid configuration:\n {2}WEBHOOK_SECRET is required when WEBHOOK_URLS is set: webhooks are signed with it \(Standard Webhooks\)\. Create one with\n {4}node -e "console\.log\('whsec_' \+ crypto\.randomBytes\(32\)\.toString\('base64'\)\)"/m)
})
