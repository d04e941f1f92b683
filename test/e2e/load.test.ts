// 500 uploads at once through presigned URLs: exactly 500 records end processed with the right row counts,
// none lost, none doubled. The time taken is reported, not asserted (`npm run bench` measures speed).
import t from 'tap'
import { buildApp } from '../../api/app.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { uploadThroughApi, waitForVerdicts } from '../../scripts/lib/upload.ts'
import { startTestStack } from '../helpers/stack.ts'

const FILES = 500

t.test(`${FILES} uploads at once`, async t => {
  // Two workers, as `npm start` runs them.
  const { config } = await startTestStack(t, { lambdaConcurrency: 2 })
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  const rowsOf = (i: number) => 1 + (i % 50)
  const names = Array.from({ length: FILES }, (_, i) => `load-${i}.csv`)

  const started = performance.now()
  await Promise.all(names.map((name, i) =>
    uploadThroughApi(api, name, 'n,square\n' + Array.from({ length: rowsOf(i) }, (_, r) => `${r},${r * r}`).join('\n') + '\n')))
  const uploaded = performance.now()
  // Each poll lists every record: every 50 ms (the default), that listing would load the stack it measures.
  await waitForVerdicts(api, names, { timeoutMs: 200_000, intervalMs: 500 })
  const done = performance.now()

  const items = await (await fetch(`${api}/files?limit=1000`)).json() as { items: FileMetadata[], nextCursor: string | null }
  t.equal(items.nextCursor, null, 'one page holds everything: no extra records')
  t.equal(items.items.length, FILES, 'a record per file')
  t.equal(new Set(items.items.map(item => item.filename)).size, FILES, 'no name twice')
  const wrong = items.items.filter(item => item.status !== 'processed' || item.row_count !== rowsOf(Number(item.filename.slice(5, -4))))
  t.same(wrong, [], 'every record processed with its row count')
  t.comment(`${FILES} files: uploaded in ${((uploaded - started) / 1000).toFixed(1)} s, all processed ${((done - started) / 1000).toFixed(1)} s after the first request`)
})
