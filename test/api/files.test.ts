// GET /files and GET /files/:name through app.inject, reading the real emulated DynamoDB table.
import t from 'tap'
import { buildApp } from '../../api/app.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { startEmulator } from '../helpers/stack.ts'

function record (filename: string, minute: number): FileMetadata {
  return {
    filename,
    upload_timestamp: `2026-11-24T10:${String(minute).padStart(2, '0')}:00.000Z`,
    file_size_bytes: 85,
    etag: 'abc',
    status: 'processed',
    row_count: 2,
    column_count: 5,
    column_names: ['id', 'name', 'age', 'city', 'date'],
    warnings: [],
    processed_at: '2026-11-24T11:00:00.000Z'
  }
}

t.test('files routes', async t => {
  const { config, table } = await startEmulator(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const names = ['a.csv', 'b.csv', 'c.csv', 'd.csv', 'e.csv']
  for (const [i, name] of names.entries()) await table.put(record(name, i))
  await table.put({ ...record('dir/with space+plus.csv', 30) })

  t.test('GET /files/:name returns the stored metadata', async t => {
    const res = await app.inject('/files/c.csv')
    t.equal(res.statusCode, 200)
    const { updated_at: updatedAt, ...rest } = res.json()
    t.same(rest, record('c.csv', 2), 'exactly the record, without the attributes for indexing (listing, feed)')
    t.ok(Date.parse(updatedAt) <= Date.now(), 'plus when it was written')
  })

  t.test('names with "/", spaces and "+" are found when URL-encoded', async t => {
    const res = await app.inject(`/files/${encodeURIComponent('dir/with space+plus.csv')}`)
    t.equal(res.statusCode, 200)
    t.equal(res.json().filename, 'dir/with space+plus.csv')
  })

  t.test('an unknown name is a 404 problem', async t => {
    const res = await app.inject('/files/missing.csv')
    t.equal(res.statusCode, 404)
    t.match(res.json(), { code: 'file-not-found', detail: /No file "missing\.csv"/, instance: '/files/missing.csv' })
  })

  t.test('GET /files pages newest first, each page one query', async t => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`
      const res = await app.inject(`/files${query}`)
      t.equal(res.statusCode, 200)
      const body = res.json() as { items: FileMetadata[], nextCursor: string | null }
      t.ok(body.items.length <= 2)
      seen.push(...body.items.map(item => item.filename))
      cursor = body.nextCursor
      pages++
    } while (cursor !== null && pages < 10)
    t.same(seen, ['dir/with space+plus.csv', 'e.csv', 'd.csv', 'c.csv', 'b.csv', 'a.csv'])
  })

  t.test('the default page holds up to 50', async t => {
    const body = (await app.inject('/files')).json()
    t.equal(body.items.length, 6)
    t.equal(body.nextCursor, null)
  })

  t.test('bad paging parameters are 400 problems', async t => {
    t.match((await app.inject('/files?limit=0')).json(), { status: 400, code: 'invalid-request', detail: /limit/ })
    t.match((await app.inject('/files?limit=1001')).json(), { status: 400, code: 'invalid-request' })
    t.match((await app.inject('/files?limit=ten')).json(), { status: 400, code: 'invalid-request' })
    const bad = await app.inject('/files?cursor=not-a-cursor')
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { code: 'invalid-cursor', detail: /use the nextCursor of the previous page/ })
  })
})
