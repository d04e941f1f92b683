// Child process of `npm run bench`: reads one object one way and prints {bytes, rows, seconds, peakRssMb} as JSON.
//   raw        the handler's read (one GetObject, or S3_READ_CONCURRENCY byte ranges), bytes counted and dropped
//              (a .gz object gunzipped): the ceiling for any extractor
//   extractor  the product's Lambda handler on an S3 event: object stream → metadata → DynamoDB item
//   count      the same read through the scanner alone in counting-only mode (no field profiled)
//   csv-parse  the same read streamed through csv-parse alone, record by record
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import type { S3Event } from 'aws-lambda'
import { createDocumentClient, createS3Client } from '../../aws/clients.ts'
import { MetadataTable } from '../../aws/metadata-table.ts'
import { readObject } from '../../aws/object-reader.ts'
import { parseFully } from '../../shared/csv-metadata.ts'
import { INFLATE_CHUNK_BYTES } from '../../shared/csv-decode.ts'
import { loadConfig } from '../../shared/config.ts'
import { objectCreatedEvent } from '../../shared/s3-events.ts'
import { unquotedEtag } from '../../shared/s3-object.ts'
import { countRows } from './count-rows.ts'

const [mode, key] = process.argv.slice(2) as [string, string]
const config = loadConfig()
const s3 = createS3Client(config)

async function open () {
  return readObject(s3, config.bucketName, key, undefined, { rangeBytes: config.s3RangeBytes, concurrency: config.s3ReadConcurrency })
}

/** The object's bytes; a `.gz` one gunzipped in the extractor's chunks, as the handler reads it. */
async function text (): Promise<AsyncIterable<Uint8Array>> {
  const { body } = await open()
  return key.endsWith('.gz') ? Readable.from(body).pipe(createGunzip({ chunkSize: INFLATE_CHUNK_BYTES })) : body
}

async function measure (): Promise<{ bytes: number, rows: number | undefined }> {
  if (mode === 'raw') {
    let bytes = 0
    for await (const chunk of await text()) bytes += chunk.length
    return { bytes, rows: undefined }
  }
  if (mode === 'count') {
    const { bytes, rows } = await countRows(await text())
    return { bytes, rows }
  }
  if (mode === 'csv-parse') {
    const { body, size } = await open()
    return { bytes: size, rows: (await parseFully(() => body)).row_count }
  }
  throw new Error(`unknown mode ${mode}`)
}

/**
 * The handler, made ready before the clock starts, as the raw read builds its client before it: its module (what a
 * Lambda runs once, at its init, before its first event: clients, the hashing thread started) and the event S3
 * would send for the stored object (the handler checks its size and ETag fields).
 */
async function readyHandler (): Promise<() => Promise<undefined>> {
  const { handler } = await import('../../lambda/handler.ts')
  const head = await s3.send(new HeadObjectCommand({ Bucket: config.bucketName, Key: key }))
  const event = objectCreatedEvent(config.bucketName, config.awsRegion, {
    key, size: head.ContentLength ?? 0, etag: unquotedEtag(head.ETag ?? ''), lastModified: head.LastModified ?? new Date()
  })
  return async () => { await handler(event as unknown as S3Event) }
}

/** The size and rows in the record the handler wrote, read after the clock stops. */
async function recorded (): Promise<{ bytes: number, rows: number | undefined }> {
  const record = await new MetadataTable(createDocumentClient(config), config.tableName).get(key)
  return { bytes: record?.file_size_bytes ?? 0, rows: record?.row_count }
}

const handle = mode === 'extractor' ? await readyHandler() : undefined
const started = performance.now()
const cpuBefore = process.cpuUsage()
const measured = handle === undefined ? await measure() : await handle()
const seconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuBefore)
const { bytes, rows } = measured ?? await recorded()
const cpuSeconds = (cpu.user + cpu.system) / 1e6
console.log(JSON.stringify({ bytes, rows, seconds, cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }))
