// The whole pipeline over real HTTP: POST /uploads, PUT through the presigned URL, S3 event, handler, GET /files.
import t from 'tap'
import { readFileSync, statSync } from 'node:fs'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { buildApp } from '../../api/app.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { startTestStack, waitFor } from '../helpers/stack.ts'

const SAMPLE = new URL('../../sample_data/example.csv', import.meta.url)

t.test('pipeline', async t => {
  const { config, s3 } = await startTestStack(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })

  const settled = (name: string) => waitFor(async () => {
    const res = await fetch(`${api}/files/${encodeURIComponent(name)}`)
    if (res.status !== 200) return undefined
    const file = await res.json() as FileMetadata
    return file.status === 'processing' ? undefined : file
  }, 30_000, `${name} to be processed`)

  const upload = async (filename: string, body: Buffer | string) => {
    const ticket = await fetch(`${api}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename })
    })
    t.equal(ticket.status, 201)
    const { uploadUrl, method, headers } = await ticket.json() as { uploadUrl: string, method: string, headers: Record<string, string> }
    const put = await fetch(uploadUrl, { method, headers, body })
    t.equal(put.status, 200, `PUT ${filename}`)
  }

  t.test('the seed sample: uploaded through a presigned URL, processed, served', async t => {
    await upload('example.csv', readFileSync(SAMPLE))
    const file = await settled('example.csv')
    t.match(file, {
      filename: 'example.csv',
      file_size_bytes: statSync(SAMPLE).size,
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
    const ticket = await (await fetch(`${api}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'sized.csv', contentLength: body.length })
    })).json() as { uploadUrl: string, headers: Record<string, string> }
    t.equal((await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body })).status, 200)
    t.match(await settled('sized.csv'), { status: 'processed', file_size_bytes: body.length })
  })
})
