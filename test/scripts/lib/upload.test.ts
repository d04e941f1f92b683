// The upload helpers the end-to-end tests and the benchmark rely on: each refusal and each timeout says what happened.
import t from 'tap'
import { createServer } from 'node:net'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { buildApp } from '../../../api/app.ts'
import type { FileMetadata } from '../../../shared/file-record.ts'
import { freePort } from '../../../scripts/lib/free-port.ts'
import { putUpload, requestUpload, uploadThroughApi, VerdictTimeoutError, waitForVerdict, waitForVerdicts } from '../../../scripts/lib/upload.ts'
import { startEmulator } from '../../helpers/stack.ts'

/** A record as the handler leaves it. */
const record = (filename: string, status: FileMetadata['status']): FileMetadata => ({
  filename,
  upload_timestamp: '2026-11-24T10:30:45.000Z',
  file_size_bytes: 4,
  etag: 'abc',
  status,
  ...(status === 'processing' ? {} : { row_count: 1, column_count: 1, column_names: ['a'], warnings: [], processed_at: '2026-11-24T10:30:46.000Z' })
})

t.test('upload helpers', async t => {
  // The emulators without event delivery: records are only what the test writes.
  const { config, s3, table } = await startEmulator(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })

  t.test('an upload reaches the bucket as sent', async t => {
    await uploadThroughApi(api, 'sent.csv', 'a\n1\n')
    const object = await s3.send(new GetObjectCommand({ Bucket: config.bucketName, Key: 'sent.csv' }))
    t.equal(await object.Body?.transformToString(), 'a\n1\n')
  })

  t.test('a refused ticket or PUT throws with the answer', async t => {
    await t.rejects(uploadThroughApi(api, 'notes.xlsx', 'a\n'), { message: /^POST \/uploads for notes\.xlsx answered 400: .*invalid-filename/ })
    const ticket = await requestUpload(api, 'forged.csv')
    const forged = { ...ticket, uploadUrl: ticket.uploadUrl.replace(/X-Amz-Signature=\w+/, `X-Amz-Signature=${'0'.repeat(64)}`) }
    await t.rejects(putUpload(forged, 'a\n'), { message: /^PUT forged\.csv to its presigned URL answered 403: .*SignatureDoesNotMatch/s })
  })

  t.test('a verdict is returned as soon as it is written', async t => {
    await table.put(record('done.csv', 'failed'))
    t.match(await waitForVerdict(api, 'done.csv'), { filename: 'done.csv', status: 'failed' })
    const seen: string[] = []
    const verdicts = await waitForVerdicts(api, ['done.csv'], { onVerdict: file => seen.push(file.filename) })
    t.same([...verdicts.keys()], ['done.csv'])
    t.same(seen, ['done.csv'])
  })

  t.test('a record left processing times out, saying so', async t => {
    await table.put(record('stuck.csv', 'processing'))
    await table.put(record('finished.csv', 'processed'))
    await t.rejects(waitForVerdict(api, 'stuck.csv', { timeoutMs: 300 }),
      new VerdictTimeoutError('timed out after 300 ms waiting for the verdict on stuck.csv; last seen: status processing'))
    await t.rejects(waitForVerdict(api, 'never.csv', { timeoutMs: 300 }), { code: 'verdict-timeout', message: /last seen: 404 .*file-not-found/ })
    await t.rejects(waitForVerdicts(api, ['finished.csv', 'stuck.csv', 'never.csv'], { timeoutMs: 300 }),
      { code: 'verdict-timeout', message: /waiting for the verdicts on 3 files; last seen: 2 without one, such as stuck\.csv, never\.csv$/ })
  })

  t.test('an API that refuses or never answers times out, saying which', async t => {
    await t.rejects(waitForVerdict(`http://127.0.0.1:${await freePort()}`, 'x.csv', { timeoutMs: 300 }),
      { name: 'VerdictTimeoutError', message: /last seen: fetch failed/ })
    const silent = createServer(() => {})
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    t.teardown(() => { silent.close() })
    const { port } = silent.address() as { port: number }
    await t.rejects(waitForVerdict(`http://127.0.0.1:${port}`, 'x.csv', { timeoutMs: 300 }),
      { name: 'VerdictTimeoutError', message: /last seen: no answer within 2000 ms$/ })
  })
})
