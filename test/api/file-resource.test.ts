// The file resource over HTTP against the real embedded stack: uploading status, ?wait=, HEAD, filters, DELETE, download.
import t from 'tap'
import { buildApp } from '../../api/app.ts'
import { findDrift } from '../../aws/reconcile.ts'
import { uploadingRecord, type FileMetadata } from '../../shared/file-record.ts'
import { putUpload, requestUpload, uploadThroughApi, waitForVerdict } from '../../scripts/lib/upload.ts'
import { SEED } from '../helpers/sample.ts'
import { startTestStack, waitFor } from '../helpers/stack.ts'

interface Page { items: FileMetadata[], nextCursor: string | null }

t.test('the file resource', async t => {
  const { config, table } = await startTestStack(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  const get = (path: string, init?: RequestInit) => fetch(`${api}${path}`, { redirect: 'manual', ...init })
  const list = async (query: string) => {
    const res = await get(`/files${query}`)
    if (res.status !== 200) throw new Error(`GET /files${query} answered ${res.status}: ${await res.text()}`)
    return await res.json() as Page
  }

  t.test('a file exists as uploading from the moment its URL is issued, then is processed', async t => {
    const ticket = await requestUpload(api, 'fresh.csv', Buffer.byteLength(SEED))
    const res = await get('/files/fresh.csv')
    t.equal(res.status, 200)
    const uploading = await res.json() as FileMetadata
    t.match(uploading, { filename: 'fresh.csv', status: 'uploading', file_size_bytes: Buffer.byteLength(SEED), etag: '' })
    t.equal(uploading.upload_expires_at, (await (await get('/files/fresh.csv')).json() as FileMetadata).upload_expires_at)
    t.ok(Date.parse(uploading.upload_expires_at!) > Date.now(), 'expires in the future')
    t.ok(uploading.updated_at, 'updated_at set')
    t.ok((await list('?status=uploading')).items.some(item => item.filename === 'fresh.csv'), 'listed as uploading')
    await putUpload(ticket, SEED)
    const done = await waitForVerdict(api, 'fresh.csv')
    t.match(done, { status: 'processed', row_count: 2 })
    t.notOk('upload_expires_at' in done, 'the processed record has no upload expiry')
    t.ok(Date.parse(done.updated_at!) >= Date.parse(uploading.updated_at!), 'updated_at moves forward')
  })

  t.test('asking for an upload URL again does not hide the existing file', async t => {
    await uploadThroughApi(api, 'kept.csv', SEED)
    await waitForVerdict(api, 'kept.csv')
    await requestUpload(api, 'kept.csv')
    t.match(await (await get('/files/kept.csv')).json(), { status: 'processed' }, 'still the processed record until the new version arrives')
  })

  t.test('?wait= answers as soon as the status is final', async t => {
    const ticket = await requestUpload(api, 'waited.csv')
    const waiting = get('/files/waited.csv?wait=30')
    await putUpload(ticket, SEED)
    const res = await waiting
    t.equal(res.status, 200)
    t.match(await res.json(), { status: 'processed' }, 'the final record, long before 30 s')
    const again = await get('/files/waited.csv?wait=30')
    t.match(await again.json(), { status: 'processed' }, 'a final file answers at once')
  })

  t.test('?wait= ends with the status the file has when the wait is over', async t => {
    await requestUpload(api, 'never-sent.csv')
    const started = Date.now()
    const res = await get('/files/never-sent.csv?wait=1')
    t.equal(res.status, 200)
    t.match(await res.json(), { status: 'uploading' })
    t.ok(Date.now() - started >= 750, 'it waited (about a second) for a final status that never came')
    const missing = await get('/files/no-such.csv?wait=1')
    t.equal(missing.status, 404)
    t.match(await missing.json(), { code: 'file-not-found' })
  })

  t.test('?wait= is 0 to 30 seconds, and other parameters are refused', async t => {
    for (const query of ['?wait=31', '?wait=-1', '?wait=soon']) {
      const res = await get(`/files/example.csv${query}`)
      t.equal(res.status, 400, query)
      t.match(await res.json(), { code: 'invalid-request', detail: /wait/ })
    }
    const unknown = await get('/files/example.csv?wiat=5')
    t.equal(unknown.status, 400)
    t.match(await unknown.json(), { code: 'invalid-request', detail: /unknown parameter "wiat"; accepted: wait/ })
  })

  t.test('HEAD answers the status without a body', async t => {
    await uploadThroughApi(api, 'headed.csv', SEED)
    await waitForVerdict(api, 'headed.csv')
    const found = await get('/files/headed.csv', { method: 'HEAD' })
    t.equal(found.status, 200)
    t.equal(await found.text(), '')
    t.match(found.headers.get('content-type'), /application\/json/)
    const missing = await get('/files/nothing-here.csv', { method: 'HEAD' })
    t.equal(missing.status, 404)
    t.equal(await missing.text(), '')
  })

  t.test('a 404 says what to do, without telling someone who has just uploaded to upload first', async t => {
    const res = await get('/files/missing.csv')
    t.equal(res.status, 404)
    const body = await res.json() as { code: string, detail: string }
    t.equal(body.code, 'file-not-found')
    t.match(body.detail, /nothing was uploaded under that name, or it was deleted/)
    t.match(body.detail, /appears once S3 reports it/)
    t.notMatch(body.detail, /Upload it first/)
  })

  t.test('an upload URL that expired unused leaves a 404 upload-expired, and the file unlisted', async t => {
    const issued = new Date(Date.now() - 10 * 60_000)
    t.ok(await table.putUploading(uploadingRecord('abandoned.csv', issued, new Date(issued.getTime() + 60_000))))
    const res = await get('/files/abandoned.csv')
    t.equal(res.status, 404)
    t.match(await res.json(), { code: 'upload-expired', detail: /expired at .* before any upload arrived\. Ask for a new one with POST \/uploads/ })
    t.notOk((await list('?status=uploading&limit=1000')).items.some(item => item.filename === 'abandoned.csv'), 'not listed')
    t.equal((await get('/files/abandoned.csv', { method: 'DELETE' })).status, 404, 'nothing to delete')
    await requestUpload(api, 'abandoned.csv')
    t.match(await (await get('/files/abandoned.csv')).json(), { status: 'uploading' }, 'a new URL brings it back as uploading')
  })

  t.test('filters: status, name prefix and upload time range, each page one query', async t => {
    const before = new Date().toISOString()
    for (const name of ['report-a.csv', 'report-b.csv', 'other.csv']) await uploadThroughApi(api, name, SEED)
    await uploadThroughApi(api, 'report-bad.csv', 'a,b\n1,2,3\n')
    for (const name of ['report-a.csv', 'report-b.csv', 'other.csv', 'report-bad.csv']) await waitForVerdict(api, name)
    const after = new Date().toISOString()
    const names = (page: Page) => page.items.map(item => item.filename).sort()
    t.same(names(await list(`?prefix=report-&from=${before}`)), ['report-a.csv', 'report-b.csv', 'report-bad.csv'])
    t.same(names(await list(`?prefix=report-&status=failed&from=${before}`)), ['report-bad.csv'])
    t.same(names(await list(`?status=processed&from=${before}&to=${after}`)), ['other.csv', 'report-a.csv', 'report-b.csv'])
    t.same(names(await list(`?to=${before}&prefix=report-`)), [], 'nothing of these before they were sent')

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Page = await list(`?prefix=report-&from=${before}&limit=1${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`)
      t.ok(page.items.length <= 1)
      seen.push(...page.items.map(item => item.filename))
      cursor = page.nextCursor
      pages++
    } while (cursor !== null && pages < 20)
    t.same(seen.sort(), ['report-a.csv', 'report-b.csv', 'report-bad.csv'], 'following nextCursor finds every match')
  })

  t.test('bad and unknown filters are refused, naming the parameter', async t => {
    const cases: Array<[string, RegExp]> = [
      ['?state=failed', /unknown parameter "state"; accepted: limit, cursor, status, prefix, from, to/],
      ['?status=deleted', /status/],
      ['?from=yesterday', /from/],
      ['?to=2026-13-45T00:00:00Z', /to/],
      ['?prefix=', /prefix/]
    ]
    for (const [query, detail] of cases) {
      const res = await get(`/files${query}`)
      t.equal(res.status, 400, query)
      t.match(await res.json(), { code: 'invalid-request', detail }, query)
    }
  })

  t.test('DELETE removes a processed file: 202, then 404 and gone from the listing', async t => {
    await uploadThroughApi(api, 'doomed.csv', SEED)
    await waitForVerdict(api, 'doomed.csv')
    const res = await get('/files/doomed.csv', { method: 'DELETE' })
    t.equal(res.status, 202)
    t.same(await res.json(), { filename: 'doomed.csv', status: 'deleting' })
    await waitFor(async () => (await get('/files/doomed.csv')).status === 404 || undefined, 20_000, 'the 404 after DELETE')
    t.notOk((await list('?limit=1000')).items.some(item => item.filename === 'doomed.csv'), 'not listed')
    const again = await get('/files/doomed.csv', { method: 'DELETE' })
    t.equal(again.status, 404)
    t.match(await again.json(), { code: 'file-not-found' })
  })

  t.test('DELETE of a file still uploading, with nothing sent, removes it at once', async t => {
    await requestUpload(api, 'changed-my-mind.csv')
    t.equal((await get('/files/changed-my-mind.csv', { method: 'DELETE' })).status, 202)
    t.equal((await get('/files/changed-my-mind.csv')).status, 404)
  })

  t.test('download: a 307 to a presigned GET that saves the file under its name', async t => {
    await uploadThroughApi(api, 'take me.csv', SEED)
    await waitForVerdict(api, 'take me.csv')
    const res = await get(`/files/${encodeURIComponent('take me.csv')}/download`)
    t.equal(res.status, 307)
    const location = res.headers.get('location')!
    t.match(location, /X-Amz-Signature=/)
    const object = await fetch(location)
    t.equal(object.status, 200)
    t.equal(await object.text(), SEED)
    t.equal(object.headers.get('content-disposition'), 'attachment; filename="take me.csv"; filename*=UTF-8\'\'take%20me.csv')

    const missing = await get('/files/missing.csv/download')
    t.equal(missing.status, 404)
    t.match(await missing.json(), { code: 'file-not-found' })
    await requestUpload(api, 'not-yet.csv')
    const early = await get('/files/not-yet.csv/download')
    t.equal(early.status, 404)
    t.match(await early.json(), { code: 'file-not-uploaded', detail: /still uploading/ })
  })
})

t.test('a short UPLOAD_URL_EXPIRES_IN: the record expires with the URL, and reconcile forgets it only then', async t => {
  const { config, table, s3 } = await startTestStack(t, { uploadUrlExpiresIn: 1 })
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  const ticket = await requestUpload(api, 'late.csv')
  const uploading = await (await fetch(`${api}/files/late.csv`)).json() as FileMetadata
  const lifetime = Date.parse(uploading.upload_expires_at!) - Date.parse(uploading.upload_timestamp)
  t.ok(lifetime >= 1000 && lifetime < 1500, `the record expires with its URL, 1 s after it was issued (${lifetime} ms)`)
  await waitFor(async () => Date.now() > Date.parse(uploading.upload_expires_at!) + 1000 || undefined, 5000, 'the URL to expire')
  const late = await fetch(ticket.uploadUrl, { method: 'PUT', body: SEED })
  t.equal(late.status, 403, 'S3 refuses the expired URL')
  t.match(await (await fetch(`${api}/files/late.csv`)).json(), { status: 'uploading' }, 'within the minute of grace, still uploading')
  t.same(await findDrift({ s3, table, bucket: config.bucketName, stuckBefore: new Date() }), [], 'a pending upload is no orphan')

  const issued = new Date(Date.now() - 5 * 60_000)
  await table.putUploading(uploadingRecord('forgotten.csv', issued, new Date(issued.getTime() + 1000)))
  t.match(await findDrift({ s3, table, bucket: config.bucketName, stuckBefore: new Date() }), [{ key: 'forgotten.csv', reason: 'orphan' }],
    'an expired one is, and reconcile marks it deleted')
})
