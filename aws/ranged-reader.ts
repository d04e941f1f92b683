// Reads one version of an S3 object by byte-range GETs in parallel, delivered in order as one byte stream.
import { addAbortSignal, type Readable } from 'node:stream'
import { setImmediate } from 'node:timers/promises'
import { GetObjectCommand, S3ServiceException, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3'
import type { StoredObject } from '../shared/process-object.ts'

/** The size of the copies a range in memory is handed on in (a socket's reads are 64 KiB). */
const CHUNK_BYTES = 64 * 1024
/** How much of a range in memory is handed on between two turns of the event loop (a multiple of CHUNK_BYTES). */
const PAUSE_EVERY_BYTES = 4 * CHUNK_BYTES

export interface RangedReads {
  /** Bytes per GetObject (AWS recommends 8–16 MB). */
  rangeBytes: number
  /** GetObject requests in flight at once; about as many ranges are held ahead of the reader. */
  concurrency: number
}

/**
 * Opens the object with a GET of its first range, whose Content-Range gives the size and whose ETag pins the
 * version: every later range is asked for with If-Match that ETag, so two versions are never mixed (a replaced
 * object fails that range with S3's PreconditionFailed). The body streams the first range while the next ones
 * download, each read whole into memory, at most `concurrency` requests at a time; when the reader stops early,
 * the requests in flight are aborted. With `etag`, the object must still be that version.
 */
export async function readRanges (s3: S3Client, bucket: string, key: string, etag: string | undefined, reads: RangedReads): Promise<StoredObject> {
  const get = (ifMatch: string | undefined, range?: string, abortSignal?: AbortSignal) =>
    s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: ifMatch, Range: range }), { abortSignal })
  let first: GetObjectCommandOutput
  try {
    first = await get(etag, byteRange(0, reads.rangeBytes - 1))
  } catch (err) {
    if (!(err instanceof S3ServiceException && err.$metadata.httpStatusCode === 416)) throw err
    // S3 refuses any range of an empty object (416 InvalidRange): read it whole, which is then nothing to read.
    return whole(await get(etag))
  }
  const size = totalSize(first.ContentRange)
  if (size === undefined || size <= reads.rangeBytes) return whole(first)
  const pinned = first.ETag ?? ''
  /** Reads range `index` into `into`; resolves to its length. */
  const fetchRange = async (index: number, into: Buffer, signal: AbortSignal): Promise<number> => {
    const start = index * reads.rangeBytes
    const end = Math.min(size, start + reads.rangeBytes) - 1
    const response = await get(pinned, byteRange(start, end), signal)
    let received = 0
    for await (const chunk of addAbortSignal(signal, response.Body as Readable) as AsyncIterable<Uint8Array>) {
      if (received + chunk.length <= into.length) into.set(chunk, received)
      received += chunk.length
    }
    if (received !== end - start + 1) throw new Error(`s3://${bucket}/${key}: ${byteRange(start, end)} answered ${received} bytes, not ${end - start + 1}`)
    return received
  }
  const count = Math.ceil(size / reads.rangeBytes)
  return { body: inOrder(first.Body as AsyncIterable<Uint8Array>, fetchRange, count, reads), etag: pinned, size }
}

function byteRange (start: number, end: number): string {
  return `bytes=${start}-${end}`
}

/** The object's size from a Content-Range (`bytes 0-8388607/1073741824`); undefined when there is none. */
function totalSize (contentRange: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(contentRange ?? '')
  return match === null ? undefined : Number(match[1])
}

function whole (response: GetObjectCommandOutput): StoredObject {
  return { body: response.Body as AsyncIterable<Uint8Array>, etag: response.ETag ?? '', size: response.ContentLength ?? 0 }
}

/**
 * Yields range 0 (already open) as it streams, then ranges 1 … count - 1 in order. Ranges 1 … concurrency - 1
 * start with range 0; each range the reader takes starts the next one, so at most `concurrency` requests are in
 * flight, and at most that many ranges wait, read, beside the one being read. Stopping (return or throw) aborts the rest.
 *
 * Each range is read into a buffer of its own size that is used again for a later range, and handed on in copies of
 * CHUNK_BYTES that the reader owns. Held in the socket's own chunks, ranges outlive the young generation: 8 MiB ranges
 * read 4 at a time then cost the handler a dozen full garbage collections per 200 MB (one with a single stream), and
 * half its speed; copying a byte twice costs far less.
 */
async function * inOrder (first: AsyncIterable<Uint8Array>, fetchRange: (index: number, into: Buffer, signal: AbortSignal) => Promise<number>,
  count: number, { rangeBytes, concurrency }: RangedReads): AsyncGenerator<Uint8Array> {
  const stop = new AbortController()
  const free: Buffer[] = []
  const ahead: Array<{ buffer: Buffer, length: Promise<number> }> = []
  let next = 1
  const start = () => {
    if (next >= count) return
    const buffer = free.pop() ?? Buffer.allocUnsafeSlow(rangeBytes)
    const length = fetchRange(next++, buffer, stop.signal)
    // Awaited in order below; a range that fails while an earlier one is read must not be an unhandled rejection.
    length.catch(() => {})
    ahead.push({ buffer, length })
  }
  try {
    for (let i = 1; i < concurrency; i++) start()
    yield * first
    start()
    while (ahead.length > 0) {
      const { buffer, length } = ahead.shift()!
      const end = await length
      start()
      for (let offset = 0; offset < end; offset += CHUNK_BYTES) {
        // Handed on in promise callbacks alone, a range in memory would keep the event loop from polling the sockets
        // of the ranges in flight while a busy reader takes it: their downloads would stall. The loop gets a turn.
        if (offset % PAUSE_EVERY_BYTES === 0) await setImmediate()
        yield Buffer.from(buffer.subarray(offset, Math.min(end, offset + CHUNK_BYTES)))
      }
      free.push(buffer)
    }
  } finally {
    stop.abort()
  }
}
