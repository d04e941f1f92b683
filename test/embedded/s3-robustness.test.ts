// No request can crash the endpoint or leave a partial object: findings 4 (a 145-byte multipart form killed
// s3rver) and 5 (non-atomic writes: mixed concurrent PUTs, truncated objects after an aborted upload).
import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { waitFor } from '../helpers/stack.ts'
import { BUCKET, errorCode, rawRequest, signRequest, startS3 } from '../helpers/s3-endpoint.ts'

/** Sends raw bytes and returns what comes back before the server closes (or `ms` pass). */
async function rawExchange (port: number, bytes: string | Buffer, ms = 2000): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    const timer = setTimeout(() => { socket.destroy(); resolve(answer) }, ms)
    socket.on('data', chunk => { answer += chunk.toString('latin1') })
    socket.on('end', () => { clearTimeout(timer); resolve(answer) })
    socket.on('error', err => { clearTimeout(timer); reject(err) })
    socket.end(bytes)
  })
}

/** The dicer crash: a multipart form whose part header never ends, as in GHSA-wm7h-9275-46v2. */
const MALFORMED_FORM = [
  'POST /test-bucket HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: multipart/form-data; boundary=x', 'Content-Length: 40', '',
  '--x\r\nContent-Type: \r\n\r\n--x--\r\n:\r\n\r\n\r\n'
].join('\r\n')

t.test('malformed and garbage requests get 4xx answers and the endpoint keeps serving', async t => {
  const { port, s3 } = await startS3(t)
  t.match(await rawExchange(port, MALFORMED_FORM), /^HTTP\/1\.1 403 /, 'the malformed form: 403 (unsigned)')
  t.match(await rawExchange(port, 'GARBAGE \u0000\u0001\u0002\r\n\r\n'), /^HTTP\/1\.1 400 /, 'not HTTP: 400')
  t.match(await rawExchange(port, 'GET /test-bucket/%%% HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400 [^]*InvalidURI/, 'a bad URI')
  t.match(await rawExchange(port, 'PUT /test-bucket/a.csv HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/x, Signature=00\r\nContent-Length: 5\r\n\r\nhello'),
    /^HTTP\/1\.1 400 [^]*AuthorizationHeaderMalformed/, 'a malformed signature')

  const post = await signRequest(port, { method: 'POST', path: `/${BUCKET}`, query: { delete: '' }, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': '200' } })
  const bomb = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>'.padEnd(200, ' ')
  const refused = await rawRequest(port, { method: 'POST', path: post.path, headers: post.headers, body: bomb })
  t.equal(errorCode(refused), 'MalformedXML', 'no entity expansion')

  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'still.csv', Body: 'up' }))
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'still.csv' }))
  t.equal(await object.Body!.transformToString(), 'up', 'still serving')
})

/** Starts a PUT of `total` bytes to a presigned URL, sends `sent` of them, then cuts the connection. */
async function abortedPut (port: number, path: string, total: number, sent: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${total}\r\n\r\n`)
      socket.write(Buffer.alloc(sent, 'y'), () => setTimeout(() => { socket.destroy(); resolve() }, 100))
    })
    socket.on('error', reject)
  })
}

t.test('an aborted PUT leaves nothing: no object, no event, no old object changed', async t => {
  const { port, s3, events, dataDir } = await startS3(t)
  const url = async (key: string) => new URL(await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60 }))
  const fresh = await url('fresh.csv')
  await abortedPut(port, fresh.pathname + fresh.search, 4 * 1024 * 1024, 1024 * 1024)
  const tmp = join(dataDir, 's3-store', 'tmp')
  await waitFor(async () => readdirSync(tmp).length === 0 ? true : undefined, 10_000, 'the temporary file to be removed')
  await t.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'fresh.csv' })), { name: 'NotFound' })

  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'old.csv', Body: 'the old content\n' }))
  const before = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'old.csv' }))
  const overwrite = await url('old.csv')
  await abortedPut(port, overwrite.pathname + overwrite.search, 4 * 1024 * 1024, 2 * 1024 * 1024)
  await waitFor(async () => readdirSync(tmp).length === 0 ? true : undefined, 10_000, 'the temporary file to be removed')
  const after = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'old.csv' }))
  t.equal(await after.Body!.transformToString(), 'the old content\n', 'the old object, whole')
  t.equal(after.ETag, before.ETag, 'and its ETag')
  t.same(events.map(record => record.s3.object.key), ['old.csv'], 'one event: the completed PUT')
})

t.test('two concurrent PUTs of one key: one wins whole, and its ETag and the last event describe it', async t => {
  const { s3, events } = await startS3(t)
  const bodies = [Buffer.alloc(8 * 1024 * 1024, 'A'), Buffer.alloc(6 * 1024 * 1024 + 1, 'B')]
  for (let round = 0; round < 3; round++) {
    events.length = 0
    await Promise.all(bodies.map(Body => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'race.csv', Body }))))
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'race.csv' }))
    const stored = Buffer.from(await object.Body!.transformToByteArray())
    const winner = bodies.find(body => body.equals(stored))
    t.ok(winner, `round ${round}: the stored bytes are one body, whole`)
    const md5 = createHash('md5').update(stored).digest('hex')
    t.equal(object.ETag, `"${md5}"`, 'its ETag')
    t.equal(events.length, 2)
    const last = [...events].sort((a, b) => a.s3.object.sequencer.localeCompare(b.s3.object.sequencer)).at(-1)!
    t.match(last.s3.object, { eTag: md5, size: stored.length }, 'the event with the larger sequencer describes it')
    t.not(events[0]!.s3.object.sequencer, events[1]!.s3.object.sequencer, 'sequencers differ')
  }
})

t.test('an upload stalled mid-body is cut once idle, leaving nothing; one whose bytes keep coming is not', async t => {
  const { port, s3, dataDir } = await startS3(t, { idleTimeoutMs: 400 })
  const url = async (key: string) => new URL(await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60 }))
  /** Sends the headers and `pieces` bytes of a 10-byte body, one every `everyMs`; resolves to the answer, or '' when the server hangs up. */
  const upload = async (target: URL, pieces: number, everyMs: number) => await new Promise<string>((resolve, reject) => {
    let answer = ''
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`PUT ${target.pathname}${target.search} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 10\r\nConnection: close\r\n\r\n`)
      let sent = 0
      const timer = setInterval(() => {
        if (sent === pieces || socket.destroyed) return clearInterval(timer)
        socket.write(sent === 9 ? 'z' : 'y')
        sent++
      }, everyMs)
      socket.on('close', () => clearInterval(timer))
    })
    // Should the server never hang up, the test says so instead of waiting for tap's timeout.
    const guard = setTimeout(() => { answer = 'still open after 10 s'; socket.destroy() }, 10_000)
    socket.on('data', chunk => { answer += chunk.toString('latin1') })
    socket.on('close', () => { clearTimeout(guard); resolve(answer) })
    socket.on('error', reject)
  })
  const started = performance.now()
  t.equal(await upload(await url('stalled.csv'), 3, 50), '', 'the server hangs up on the stalled upload')
  t.ok(performance.now() - started < 5000, 'soon after it went idle')
  const tmp = join(dataDir, 's3-store', 'tmp')
  await waitFor(async () => readdirSync(tmp).length === 0 ? true : undefined, 10_000, 'the temporary file to be removed')
  await t.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'stalled.csv' })), { name: 'NotFound' })
  // Ten bytes over 2.5 s, each well within the idle time.
  t.match(await upload(await url('slow.csv'), 10, 250), /^HTTP\/1\.1 200 /, 'a slow upload that keeps sending completes')
  const slow = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'slow.csv' }))
  t.equal(await slow.Body!.transformToString(), 'yyyyyyyyyz')
})

t.test('GETs through the reused read buffers: every byte, any range; a client gone mid-body leaves no file open', async t => {
  const { port, s3 } = await startS3(t)
  const body = Buffer.from(Array.from({ length: 3.5 * 1024 * 1024 }, (_, i) => (i * 7919) % 251))
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big.bin', Body: body }))
  const get = async (range?: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big.bin', Range: range }))).Body!.transformToByteArray())
  // Whole, and concurrently, so that responses in progress share the spare buffers.
  const whole = await Promise.all([get(), get(), get()])
  t.ok(whole.every(bytes => bytes.equals(body)), 'three concurrent GETs: every byte')
  t.ok((await get('bytes=1048566-2097162')).equals(body.subarray(1048566, 2097163)), 'a range across the buffers\' edges')
  t.ok((await get('bytes=3670000-')).equals(body.subarray(3670000)), 'the last bytes')

  const openFiles = () => readdirSync('/proc/self/fd').length
  const before = openFiles()
  const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'big.bin' })))
  for (let i = 0; i < 10; i++) {
    // Read the headers and a little of the body, then go away.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('data', () => { socket.destroy(); resolve() })
      socket.on('error', reject)
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
    })
  }
  const closed = await waitFor(async () => openFiles() <= before ? true : undefined, 5000, 'the aborted GETs to close their files')
  t.ok(closed, 'no file left open')
  t.ok((await get()).equals(body), 'and the endpoint still serves every byte')
})

t.test('a restart after a crash finds a valid store: half-written files are dropped', async t => {
  const first = await startS3(t)
  await first.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.csv', Body: 'kept' }))
  await first.close()
  const store = join(first.dataDir, 's3-store')
  // What a crash can leave: a temporary file, a data file no sidecar names, a sidecar torn mid-write.
  writeFileSync(join(store, 'tmp', 'partial'), 'half an upload')
  const folder = join(store, BUCKET, 'objects', 'ab', 'cd')
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'abcd.orphan.data'), 'never committed')
  writeFileSync(join(folder, `${'ab'.repeat(32)}.json`), '{"key": "torn')
  const again = await startS3(t, { dataDir: first.dataDir })
  const listed = await again.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))
  t.same(listed.Contents?.map(object => object.Key), ['kept.csv'])
  t.same(readdirSync(join(store, 'tmp')), [], 'temporary files removed')
  t.same(readdirSync(folder), [], 'the orphan and the torn sidecar removed')
})
