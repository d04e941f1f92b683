// GET /events over HTTP against the real embedded stack: status changes as server-sent events, resuming, refusals.
import t from 'tap'
import { buildApp } from '../../api/app.ts'
import { processingRecord, type FileMetadata } from '../../shared/file-record.ts'
import { putUpload, requestUpload, uploadThroughApi, waitForVerdict } from '../../scripts/lib/upload.ts'
import { SEED } from '../helpers/sample.ts'
import { openEvents, type SseEvent } from '../helpers/sse.ts'
import { startTestStack, waitFor } from '../helpers/stack.ts'

const about = (name: string) => (event: SseEvent) => event.event === 'deleted'
  ? (JSON.parse(event.data) as { filename: string }).filename === name
  : (JSON.parse(event.data) as FileMetadata).filename === name
const statusOf = (event: SseEvent) => event.event === 'deleted' ? 'deleted' : (JSON.parse(event.data) as FileMetadata).status

t.test('the event stream', async t => {
  const { config, table } = await startTestStack(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  const streams: Array<{ close: () => void }> = []
  t.teardown(() => streams.forEach(stream => stream.close()))
  const open = async (query = '', headers: Record<string, string> = {}) => {
    const stream = await openEvents(`${api}/events${query}`, headers)
    streams.push(stream)
    return stream
  }

  t.test('an upload goes by as uploading, then processed, each event with its id and the record as listed', async t => {
    const stream = await open()
    t.equal(stream.status, 200)
    t.match(stream.headers.get('content-type'), /^text\/event-stream/)
    const ticket = await requestUpload(api, 'streamed.csv')
    // The stream sends each record as a poll finds it: a page sees `uploading` before it sends the file.
    const uploading = await stream.next()
    t.same([uploading.event, statusOf(uploading)], ['file', 'uploading'], 'first uploading')
    await putUpload(ticket, SEED)
    const events = [uploading, ...(await stream.collect(event => about('streamed.csv')(event) && statusOf(event) === 'processed')).filter(about('streamed.csv'))]
    t.equal(statusOf(events.at(-1)!), 'processed', 'last processed')
    const statuses = events.map(statusOf)
    t.same(statuses.filter((status, i) => status !== statuses[i - 1]), statuses.includes('processing')
      ? ['uploading', 'processing', 'processed']
      : ['uploading', 'processed'], 'in order (processing shows when a poll falls while the file is read)')
    const processed = JSON.parse(events.at(-1)!.data) as FileMetadata
    t.match(processed, { filename: 'streamed.csv', status: 'processed', row_count: 2 })
    t.equal(events.at(-1)!.id, `${processed.updated_at}|streamed.csv`)
  })

  t.test('processing, then processed, as the processor writes them', async t => {
    const stream = await open()
    await requestUpload(api, 'stepwise.csv')
    t.equal(statusOf(await stream.next()), 'uploading')
    // The processor's own first write (processObject saves this record before it reads the file), then the real upload.
    await table.put(processingRecord({ key: 'stepwise.csv', eventTime: new Date().toISOString(), size: 85, etag: 'x' }))
    const processing = await stream.next()
    t.same([processing.event, statusOf(processing)], ['file', 'processing'])
    await uploadThroughApi(api, 'stepwise.csv', SEED)
    const rest = await stream.collect(event => statusOf(event) === 'processed')
    t.equal(statusOf(rest.at(-1)!), 'processed')
  })

  t.test('a deletion is an event of its own', async t => {
    await uploadThroughApi(api, 'gone.csv', SEED)
    await waitForVerdict(api, 'gone.csv')
    const stream = await open()
    t.equal((await fetch(`${api}/files/gone.csv`, { method: 'DELETE' })).status, 202)
    const event = await stream.next()
    t.equal(event.event, 'deleted')
    t.same(JSON.parse(event.data), { filename: 'gone.csv' })
    t.match(event.id, /^\d{4}-\d\d-\d\dT[\d:.]+Z\|gone\.csv$/)
  })

  t.test('Last-Event-ID resumes after the last event seen; ?since= starts at an instant', async t => {
    const since = new Date().toISOString()
    const first = await open()
    await uploadThroughApi(api, 'resume-1.csv', SEED)
    const seen = await first.collect(event => about('resume-1.csv')(event) && statusOf(event) === 'processed')
    first.close()
    const lastId = seen.at(-1)!.id!
    await uploadThroughApi(api, 'resume-2.csv', SEED)
    await waitForVerdict(api, 'resume-2.csv')

    const resumed = await open('', { 'last-event-id': lastId })
    const missed = await resumed.collect(event => about('resume-2.csv')(event) && statusOf(event) === 'processed')
    t.notOk(missed.some(about('resume-1.csv')), 'nothing already seen comes again')
    t.ok(missed.some(about('resume-2.csv')), 'what happened while away comes first')

    const replay = await open(`?since=${since}`)
    const all = await replay.collect(event => about('resume-2.csv')(event) && statusOf(event) === 'processed')
    t.ok(all.some(about('resume-1.csv')) && all.some(about('resume-2.csv')), 'both files since the instant')
  })

  t.test('a stream starts by telling EventSource where it is, so a reconnect before any event misses nothing', async t => {
    const before = new Date().toISOString()
    const stream = await open()
    const started = await waitFor(async () => stream.lastId(), 5000, 'the first id')
    t.match(started, /^\d{4}-\d\d-\d\dT[\d:.]+Z\|$/, 'an id without a file: the instant the stream began')
    t.ok(started.slice(0, -1) >= before)
  })

  t.test('bad starting points and unknown parameters are refused', async t => {
    const badId = await fetch(`${api}/events`, { headers: { 'last-event-id': 'yesterday' } })
    t.equal(badId.status, 400)
    t.match(await badId.json(), { code: 'invalid-request', detail: /Last-Event-ID "yesterday" is not an id this stream sent/ })
    const badSince = await fetch(`${api}/events?since=later`)
    t.equal(badSince.status, 400)
    t.match(await badSince.json(), { code: 'invalid-request', detail: /since/ })
    const unknown = await fetch(`${api}/events?from=2026-01-01T00:00:00Z`)
    t.equal(unknown.status, 400)
    t.match(await unknown.json(), { code: 'invalid-request', detail: /unknown parameter "from"; accepted: since/ })
  })
})

t.test('with a stream length set (a host that buffers responses), each stream ends and resumes where it stopped', async t => {
  const { config } = await startTestStack(t)
  const app = await buildApp({ config, maxStreamMs: 300 })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  const first = await openEvents(`${api}/events`)
  t.teardown(() => first.close())
  await t.rejects(first.next(10_000), { message: 'the stream ended' })
  const lastId = first.lastId()!
  await uploadThroughApi(api, 'between.csv', SEED)
  await waitForVerdict(api, 'between.csv')
  const second = await openEvents(`${api}/events`, { 'last-event-id': lastId })
  t.teardown(() => second.close())
  const events = await second.collect(event => about('between.csv')(event) && statusOf(event) === 'processed')
  t.ok(events.some(about('between.csv')), 'the change made between two streams arrives on the second')
  // The Lambda adapter injects each request and answers once the response has ended: a bounded stream comes back whole.
  const injected = await app.inject({ method: 'GET', url: '/events', headers: { 'last-event-id': lastId } })
  t.equal(injected.statusCode, 200)
  t.match(injected.body, /^retry: 1000\nid: [^\n]+\n\n/)
  t.match(injected.body, /event: file\ndata: \{"filename":"between\.csv"/, 'with the changes after Last-Event-ID')
})
