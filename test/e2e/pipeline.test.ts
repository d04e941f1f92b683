// The whole pipeline over real HTTP: POST /uploads, PUT through the presigned URL, S3 event, handler, GET /files.
import t from 'tap'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { buildApp } from '../../api/app.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { putUpload, requestUpload, uploadThroughApi, waitForVerdict } from '../../scripts/lib/upload.ts'
import { SEED } from '../helpers/sample.ts'
import { startTestStack, waitFor } from '../helpers/stack.ts'

t.test('pipeline', async t => {
  const { config, s3 } = await startTestStack(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  // The upload helpers throw unless POST /uploads answers 201 and the PUT 200.
  const upload = (filename: string, body: string) => uploadThroughApi(api, filename, body)
  const settled = (name: string) => waitForVerdict(api, name, { timeoutMs: 30_000 })

  t.test('the seed sample: uploaded through a presigned URL, processed, served', async t => {
    await upload('example.csv', SEED)
    const file = await settled('example.csv')
    t.match(file, {
      filename: 'example.csv',
      file_size_bytes: Buffer.byteLength(SEED),
      row_count: 2,
      column_count: 5,
      column_names: ['id', 'name', 'age', 'city', 'date'],
      status: 'processed',
      etag: /^[0-9a-f]{32}$/
    })
    t.ok(Date.parse(file.upload_timestamp) <= Date.parse(file.processed_at!))
    const list = await (await fetch(`${api}/files`)).json() as { items: FileMetadata[] }
    t.ok(list.items.some(item => item.filename === 'example.csv'), 'listed by GET /files')
  })

  t.test('an invalid CSV ends failed with its reason', async t => {
    await upload('ragged.csv', 'a,b\n1,2,3\n')
    t.match(await settled('ragged.csv'), { status: 'failed', error: { code: 'extra-cell', line: 2 } })
  })

  t.test('a key S3 must URL-encode in the event is decoded back', async t => {
    await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'dir/my file+(1) é.csv', Body: 'x\n1\n' }))
    t.match(await settled('dir/my file+(1) é.csv'), { status: 'processed', row_count: 1 })
  })

  t.test('a deleted object disappears from the API', async t => {
    await upload('short-lived.csv', 'a\n1\n')
    await settled('short-lived.csv')
    await s3.send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: 'short-lived.csv' }))
    await waitFor(async () => (await fetch(`${api}/files/short-lived.csv`)).status === 404 || undefined, 30_000, 'the 404')
    const list = await (await fetch(`${api}/files`)).json() as { items: FileMetadata[] }
    t.notOk(list.items.some(item => item.filename === 'short-lived.csv'), 'not listed')
  })

  t.test('two uploads of one name in a row leave the metadata of the second', async t => {
    await upload('twice.csv', 'a\n1\n')
    const second = await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'twice.csv', Body: 'a\n1\n2\n3\n' }))
    const file = await waitFor(async () => {
      const found = await settled('twice.csv')
      return found.etag === second.ETag!.replace(/"/g, '') ? found : undefined
    }, 30_000, 'the second upload\'s metadata')
    t.match(file, { status: 'processed', row_count: 3 })
  })

  t.test('a presigned URL declaring contentLength accepts that body', async t => {
    const body = 'a,b\n1,2\n'
    const ticket = await requestUpload(api, 'sized.csv', body.length)
    await putUpload(ticket, body)
    t.match(await settled('sized.csv'), { status: 'processed', file_size_bytes: body.length })
  })
})
