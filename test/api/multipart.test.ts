// Multipart uploads through the API's Companion-shaped routes, with plain fetch, against the real embedded stack.
import t from 'tap'
import { buildApp } from '../../api/app.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { waitForVerdict } from '../../scripts/lib/upload.ts'
import { freePort, startTestStack } from '../helpers/stack.ts'

const MiB = 1024 * 1024

/** A CSV of a little over `bytes`, and its row count. */
function csvOf (bytes: number): { text: string, rows: number } {
  const row = 'id,name,amount,city,date\n'.length
  const rows = Math.ceil(bytes / row)
  const lines = ['id,name,amount,city,date']
  for (let i = 0; i < rows; i++) lines.push(`${String(i).padStart(2, '0')},nm,${String(i % 1000).padStart(6, '0')},ct,2026-11-25`.slice(0, row - 1).padEnd(row - 1, '0'))
  return { text: lines.join('\n') + '\n', rows }
}

t.test('multipart uploads', async t => {
  const port = await freePort()
  const { config } = await startTestStack(t, { port })
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port })
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    })
    return { status: res.status, body: await res.json() as Record<string, unknown> & Array<Record<string, unknown>> }
  }
  const create = async (filename: string) => {
    const res = await call('POST', '/s3/multipart', { filename, type: 'text/csv', metadata: { name: filename } })
    t.equal(res.status, 200, `create ${filename}`)
    return res.body as unknown as { key: string, uploadId: string }
  }
  const putPart = async (key: string, uploadId: string, partNumber: number, bytes: Uint8Array) => {
    const signed = await call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}/${partNumber}?key=${encodeURIComponent(key)}`)
    t.equal(signed.status, 200)
    t.equal(signed.body.expires, config.uploadUrlExpiresIn)
    const res = await fetch(signed.body.url as string, { method: 'PUT', body: bytes })
    t.equal(res.status, 200, `part ${partNumber}`)
    return res.headers.get('etag')!
  }

  t.test('create, sign and PUT each part, list them, complete: processed like any upload', async t => {
    const { text, rows } = csvOf(7 * MiB)
    const bytes = new TextEncoder().encode(text)
    const { key, uploadId } = await create('parts.csv')
    t.equal(key, 'parts.csv')
    t.match(await (await fetch(`${api}/files/parts.csv`)).json(), { status: 'uploading' }, 'listed as uploading from the start')
    const first = await putPart(key, uploadId, 1, bytes.subarray(0, 5 * MiB))
    const listed = await call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}?key=parts.csv`)
    t.equal(listed.status, 200)
    t.same(listed.body, [{ PartNumber: 1, Size: 5 * MiB, ETag: first }], 'a reload resumes from the parts S3 has')
    const second = await putPart(key, uploadId, 2, bytes.subarray(5 * MiB))
    const done = await call('POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=parts.csv`, {
      parts: [{ PartNumber: 1, ETag: first }, { PartNumber: 2, ETag: second }]
    })
    t.equal(done.status, 200)
    t.match(done.body, { location: /\/test-bucket\/parts\.csv$/, bucket: 'test-bucket', key: 'parts.csv' })
    const file = await waitForVerdict(api, 'parts.csv')
    t.match(file, { status: 'processed', row_count: rows, column_count: 5, file_size_bytes: bytes.length, etag: /^[0-9a-f]{32}-2$/ })
  })

  t.test('a small file goes in one part', async t => {
    const { key, uploadId } = await create('one-part.csv')
    const etag = await putPart(key, uploadId, 1, new TextEncoder().encode('a,b\n1,2\n'))
    const done = await call('POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${key}`, { parts: [{ PartNumber: 1, ETag: etag }] })
    t.equal(done.status, 200)
    t.match(await waitForVerdict(api, 'one-part.csv'), { status: 'processed', row_count: 1 } satisfies Partial<FileMetadata>)
  })

  t.test('completing works without a socket too, as the Lambda adapter injects requests', async t => {
    const { key, uploadId } = await create('injected.csv')
    const etag = await putPart(key, uploadId, 1, new TextEncoder().encode('a\n1\n'))
    const res = await app.inject({ method: 'POST', url: `/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${key}`, payload: { parts: [{ PartNumber: 1, ETag: etag }] } })
    t.equal(res.statusCode, 200, res.body)
    t.match(await waitForVerdict(api, 'injected.csv'), { status: 'processed' })
  })

  t.test('abort drops the parts and the uploading record', async t => {
    const { key, uploadId } = await create('dropped.csv')
    await putPart(key, uploadId, 1, new TextEncoder().encode('a\n1\n'))
    const aborted = await call('DELETE', `/s3/multipart/${encodeURIComponent(uploadId)}?key=${key}`)
    t.equal(aborted.status, 200)
    t.same(aborted.body, {})
    t.equal((await fetch(`${api}/files/dropped.csv`)).status, 404, 'no longer listed as uploading')
    const after = await call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}?key=${key}`)
    t.equal(after.status, 404)
    t.match(after.body, { code: 'upload-not-found', detail: /Start again with POST \/s3\/multipart/ })
  })

  t.test('completing with 10,000 parts is a body S3 judges, not one the API refuses as too large', async t => {
    const { key, uploadId } = await create('many-parts.csv')
    const parts = Array.from({ length: 10_000 }, (_, i) => ({ PartNumber: i + 1, ETag: `"${'0'.repeat(28)}${String(i).padStart(4, '0')}-1"` }))
    t.ok(JSON.stringify({ parts }).length > 500_000, 'a body of over 500 KB')
    const res = await call('POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${key}`, { parts })
    t.equal(res.status, 400)
    t.match(res.body, { code: 'invalid-parts', detail: /InvalidPart/ }, 'S3 answered: those parts were never uploaded')
    const tooMany = await call('POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${key}`, { parts: [...parts, { PartNumber: 10_001, ETag: '"x"' }] })
    t.equal(tooMany.status, 400)
    t.match(tooMany.body, { code: 'invalid-request', detail: /parts/ }, 'over 10,000 parts is refused by the API')
    await call('DELETE', `/s3/multipart/${encodeURIComponent(uploadId)}?key=${key}`)
  })

  t.test('parts S3 refuses, an unknown upload, and names the API refuses', async t => {
    const { key, uploadId } = await create('refused.csv')
    const small = await putPart(key, uploadId, 1, new TextEncoder().encode('a\n1\n'))
    const last = await putPart(key, uploadId, 2, new TextEncoder().encode('2\n'))
    const tooSmall = await call('POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${key}`, {
      parts: [{ PartNumber: 1, ETag: small }, { PartNumber: 2, ETag: last }]
    })
    t.equal(tooSmall.status, 400)
    t.match(tooSmall.body, { code: 'invalid-parts', detail: /EntityTooSmall/ })
    const wrongEtag = await call('POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?key=${key}`, { parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] })
    t.equal(wrongEtag.status, 400)
    t.match(wrongEtag.body, { code: 'invalid-parts', detail: /InvalidPart/ })
    const unknown = await call('POST', `/s3/multipart/no-such-upload/complete?key=${key}`, { parts: [{ PartNumber: 1, ETag: small }] })
    t.equal(unknown.status, 404)
    t.match(unknown.body, { code: 'upload-not-found' })

    for (const filename of ['.metadata/x.csv', 'notes.pdf', 'dir/a.csv']) {
      const res = await call('POST', '/s3/multipart', { filename })
      t.equal(res.status, 400, filename)
      t.match(res.body, { code: 'invalid-filename' })
    }
    const signBadKey = await call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${encodeURIComponent('.metadata/x.json')}`)
    t.equal(signBadKey.status, 400, 'no part URL for a key the API would not issue')
    t.match(signBadKey.body, { code: 'invalid-filename' })
    t.equal((await call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}/10001?key=${key}`)).status, 400, 'part numbers stop at 10,000')
    t.equal((await call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}/1`)).status, 400, 'key is required')
  })

  t.test('without CORS_ORIGINS, a page from the API\'s own origin may PUT parts to the bucket and read their ETag', async t => {
    const { key, uploadId } = await create('browser.csv')
    const signed = await call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}/1?key=${key}`)
    const url = signed.body.url as string
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' } })
      t.equal(preflight.status, 200, origin)
      t.equal(preflight.headers.get('access-control-allow-origin'), origin)
      t.match(preflight.headers.get('access-control-expose-headers'), /ETag/)
      t.notOk(preflight.headers.has('access-control-allow-credentials'), 'never with credentials')
    }
    const put = await fetch(url, { method: 'PUT', headers: { origin: `http://127.0.0.1:${port}` }, body: 'a\n1\n' })
    t.equal(put.status, 200)
    t.equal(put.headers.get('access-control-allow-origin'), `http://127.0.0.1:${port}`)
    t.match(put.headers.get('access-control-expose-headers'), /ETag/)
    const foreign = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'PUT' } })
    t.equal(foreign.status, 403, 'another origin is refused')
    await call('DELETE', `/s3/multipart/${encodeURIComponent(uploadId)}?key=${key}`)
  })
})
