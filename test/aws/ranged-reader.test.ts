// Ranged reads from the embedded S3 over HTTP: the bytes, metadata, profile and SHA-256 of one GET at every size
// around the range boundaries, a version replaced or deleted mid-read, and an early stop that aborts the requests.
import t from 'tap'
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { createS3Client } from '../../aws/clients.ts'
import { ObjectReplacedError, ONE_STREAM, readObject } from '../../aws/object-reader.ts'
import type { RangedReads } from '../../aws/ranged-reader.ts'
import { extractCsvMetadata } from '../../shared/csv-metadata.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'
import { processObject, type ProcessDeps } from '../../shared/process-object.ts'
import { ProcessingError } from '../../shared/processing-error.ts'
import { unquotedEtag } from '../../shared/s3-object.ts'
import { createLogger } from '../../lambda/logger.ts'
import { startThrottlingProxy } from '../../scripts/lib/throttling-proxy.ts'
import { startEmulator, waitFor } from '../helpers/stack.ts'

const R = 1024
const READS: RangedReads = { rangeBytes: R, concurrency: 3 }

interface SeenRequest { range: string | undefined, ifMatch: string | undefined, outcome: 'sent' | 'streaming' | 'ended' | 'aborted' | 'failed' }

/** A client whose GetObject requests are recorded: range, If-Match, how each ended, and the most at once. */
function observedClient (config: Parameters<typeof createS3Client>[0]) {
  const s3 = createS3Client(config)
  const requests: SeenRequest[] = []
  let open = 0
  const seen = { requests, mostAtOnce: 0 }
  s3.middlewareStack.add(next => async args => {
    const input = args.input as { Range?: string, IfMatch?: string }
    const request: SeenRequest = { range: input.Range, ifMatch: input.IfMatch, outcome: 'sent' }
    requests.push(request)
    seen.mostAtOnce = Math.max(seen.mostAtOnce, ++open)
    const settle = (outcome: SeenRequest['outcome']) => {
      if (request.outcome !== 'sent' && request.outcome !== 'streaming') return
      request.outcome = outcome
      open--
    }
    try {
      const result = await next(args)
      const body = (result.output as { Body?: Readable }).Body
      request.outcome = 'streaming'
      body?.once('end', () => settle('ended'))
      body?.once('close', () => settle('aborted'))
      return result
    } catch (err) {
      settle((err as Error).name === 'AbortError' ? 'aborted' : 'failed')
      throw err
    }
  }, { step: 'initialize' })
  return { s3, seen }
}

async function bytesOf (body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Reads on to the end; the error that stopped the read, if one did. */
async function failureOf (reading: AsyncIterator<Uint8Array>): Promise<unknown> {
  try {
    while ((await reading.next()).done !== true);
  } catch (err) {
    return err
  }
  return undefined
}

/** Deterministic bytes of every value, so a misplaced range cannot go unnoticed. */
function noise (size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size)
  let state = seed
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
    bytes[i] = state >>> 24
  }
  return bytes
}

/** A CSV whose quoted fields hold commas, escaped quotes and line breaks of every kind, each a few hundred bytes. */
function multiLineCsv (rows: number): string {
  const lines = ['id,note,amount,when']
  for (let i = 1; i <= rows; i++) {
    const note = `"row ${i}, said ""${'x'.repeat(i * 37 % 300)}""\n${i % 3 === 0 ? '\r\n' : ''}line ${i}"`
    lines.push(`${i},${note},${(i * 7.25).toFixed(2)},2026-03-${String(1 + i % 28).padStart(2, '0')}`)
  }
  return lines.join('\n') + '\n'
}

/** Range boundaries that fall inside a quoted field (an odd number of quotes before them). */
function boundariesInQuotes (bytes: Buffer, rangeBytes: number): number {
  let inside = 0
  let quotes = 0
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && i % rangeBytes === 0 && quotes % 2 === 1) inside++
    if (bytes[i] === 0x22) quotes++
  }
  return inside
}

t.test('ranged reads', async t => {
  const { config, s3, table } = await startEmulator(t)
  const bucket = config.bucketName
  const put = async (key: string, body: Buffer | string) =>
    (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag!

  t.test('give the object byte for byte at every size around the range boundaries, one request a range', async t => {
    for (const size of [0, 1, R - 1, R, R + 1, 2 * R - 1, 2 * R, 2 * R + 1, 3 * R, 7 * R + 5]) {
      const bytes = noise(size, size + 1)
      const etag = await put(`sizes/${size}.bin`, bytes)
      const { s3: observed, seen } = observedClient(config)
      const stored = await readObject(observed, bucket, `sizes/${size}.bin`, undefined, READS)
      t.ok((await bytesOf(stored.body)).equals(bytes), `${size} bytes: the same bytes`)
      t.same({ etag: stored.etag, size: stored.size }, { etag, size }, `${size} bytes: ETag and size`)
      const ranges = Math.ceil(size / R)
      const expected = size === 0
        // S3 answers 416 to a range of an empty object; it is then read whole.
        ? [{ range: 'bytes=0-1023', ifMatch: undefined, outcome: 'failed' }, { range: undefined, ifMatch: undefined, outcome: 'ended' }]
        : Array.from({ length: ranges }, (_, i) => ({
          // The first asks for a whole range: the answer says how large the object is.
          range: i === 0 ? `bytes=0-${R - 1}` : `bytes=${i * R}-${Math.min(size, (i + 1) * R) - 1}`,
          ifMatch: i === 0 ? undefined : etag,
          outcome: 'ended'
        }))
      t.same(seen.requests, expected, `${size} bytes: the requests`)
      t.ok(seen.mostAtOnce <= READS.concurrency, `${size} bytes: at most ${READS.concurrency} requests at once (${seen.mostAtOnce})`)
    }
  })

  t.test('with a concurrency of 1 the object is one GET, as before', async t => {
    const bytes = noise(5 * R, 7)
    await put('one-stream.bin', bytes)
    const { s3: observed, seen } = observedClient(config)
    t.ok((await bytesOf((await readObject(observed, bucket, 'one-stream.bin', undefined, { rangeBytes: R, concurrency: 1 })).body)).equals(bytes))
    t.same(seen.requests.map(r => r.range), [undefined])
  })

  t.test('give the metadata, profile and SHA-256 of one GET when quoted multi-line fields straddle the ranges', async t => {
    const csv = Buffer.from(multiLineCsv(120))
    const latin = Buffer.concat([Buffer.from(multiLineCsv(400)), Buffer.from('999,"caf\xe9\n\xe0 la carte",1.00,2026-03-01\n', 'latin1')])
    const files: Array<[string, Buffer, RangedReads]> = [
      ['multi-line.csv', csv, READS],
      ['multi-line-odd-ranges.csv', csv, { rangeBytes: 1021, concurrency: 2 }],
      ['multi-line.csv.gz', gzipSync(csv), READS],
      ['ragged.csv', Buffer.concat([csv, Buffer.from('121,"short\nrow"\n'), csv.subarray(csv.indexOf('\n') + 1)]), READS],
      ['windows-1252-after-64-KiB.csv', latin, { rangeBytes: 4093, concurrency: 4 }]
    ]
    t.ok(boundariesInQuotes(csv, R) >= 5, 'range boundaries fall inside quoted fields')
    t.ok(latin.length > 64 * 1024, 'the Windows-1252 byte comes after the first 64 KiB (the file is read again)')
    for (const [key, bytes, reads] of files) {
      await put(key, bytes)
      const outcome = async (ranged: RangedReads) => {
        try {
          return await extractCsvMetadata(async () => (await readObject(s3, bucket, key, undefined, ranged)).body, DEFAULT_LIMITS)
        } catch (err) {
          if (!(err instanceof ProcessingError)) throw err
          return { code: err.code, line: err.line, byte: err.byte, problems: err.problems }
        }
      }
      const oneGet = await outcome(ONE_STREAM)
      const ranged = await outcome(reads)
      t.same(ranged, oneGet, `${key}: the same outcome`)
      if ('profile' in oneGet) {
        t.equal(oneGet.profile.sha256, createHash('sha256').update(bytes).digest('hex'), `${key}: the SHA-256 of the object`)
      } else {
        t.equal(oneGet.code, 'missing-cell', `${key}: the verdict`)
      }
    }
  })

  t.test('a version replaced mid-read fails the read, not the file: processObject rejects, so the event is retried', async t => {
    const bytes = noise(10 * R, 3)
    const etag = await put('replaced.bin', bytes)
    const stored = await readObject(s3, bucket, 'replaced.bin', undefined, { rangeBytes: R, concurrency: 2 })
    const reading = stored.body[Symbol.asyncIterator]()
    t.ok((await reading.next()).value.length > 0, 'the first range streams')
    await put('replaced.bin', noise(10 * R, 4))
    const err = await failureOf(reading)
    t.type(err, ObjectReplacedError)
    t.match(err, { message: `s3://${bucket}/replaced.bin was replaced while it was read (it is no longer the version with ETag ${unquotedEtag(etag)}); the event is retried` })

    const csv = Buffer.from(multiLineCsv(120))
    const object = { bucket, key: 'replaced.csv', eventTime: '2026-12-06T10:00:00.000Z', size: csv.length, etag: await put('replaced.csv', csv) }
    const deps: ProcessDeps = {
      readObject: async (bucket, key, etag) => {
        const opened = await readObject(s3, bucket, key, etag, READS)
        // The upload is overwritten once its first range has been read.
        async function * overwritten () {
          let first = true
          for await (const chunk of opened.body) {
            yield chunk
            if (first) await put(key, Buffer.from('a,b\n1,2\n'))
            first = false
          }
        }
        return { ...opened, body: overwritten() }
      },
      saveRecord: (record, orderingKey) => table.put(record, orderingKey),
      markDeleted: (key, deletedAt, orderingKey) => table.markDeleted(key, deletedAt, orderingKey),
      saveProfile: async () => { t.fail('no profile of a mixed read') },
      pruneVersions: async () => { t.fail('no version replaced by a mixed read'); return 0 },
      publishVerdict: async () => { t.fail('no verdict on a mixed read') },
      logger: createLogger('silent'),
      limits: DEFAULT_LIMITS
    }
    await t.rejects(processObject(deps, object), ObjectReplacedError)
    t.match(await table.get('replaced.csv'), { status: 'processing' }, 'no verdict: the retried event decides')
  })

  t.test('an object deleted before or while it is read is object-missing; a re-read of another version is refused', async t => {
    await t.rejects(readObject(s3, bucket, 'never-there.csv', undefined, READS), { code: 'object-missing', message: /never-there.csv no longer exists/ })
    const etag = await put('deleted.bin', noise(10 * R, 5))
    const stored = await readObject(s3, bucket, 'deleted.bin', undefined, { rangeBytes: R, concurrency: 2 })
    const reading = stored.body[Symbol.asyncIterator]()
    await reading.next()
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'deleted.bin' }))
    const err = await failureOf(reading)
    t.match(err, { name: 'ProcessingError', code: 'object-missing' })

    const current = await put('versioned.bin', noise(3 * R, 6))
    t.ok((await bytesOf((await readObject(s3, bucket, 'versioned.bin', current, READS)).body)).equals(noise(3 * R, 6)), 'the same version, again')
    await t.rejects(readObject(s3, bucket, 'versioned.bin', etag, READS), ObjectReplacedError)
  })

  t.test('hold at most the concurrency ahead of a reader that waits', async t => {
    const bytes = noise(20 * R, 8)
    await put('waiting.bin', bytes)
    const { s3: observed, seen } = observedClient(config)
    const stored = await readObject(observed, bucket, 'waiting.bin', undefined, READS)
    const reading = stored.body[Symbol.asyncIterator]()
    const first = (await reading.next()).value as Uint8Array
    await waitFor(async () => seen.requests.slice(1).every(r => r.outcome === 'ended') ? true : undefined, 5000, 'ranges 1 and 2')
    await new Promise(resolve => setTimeout(resolve, 100))
    t.same(seen.requests.map(r => r.range), ['bytes=0-1023', 'bytes=1024-2047', 'bytes=2048-3071'], 'the reader has not moved on: no fourth range')
    const rest: Uint8Array[] = [first]
    for (let next = await reading.next(); next.done !== true; next = await reading.next()) rest.push(next.value)
    t.ok(Buffer.concat(rest).equals(bytes))
    t.equal(seen.requests.length, 20)
    t.ok(seen.mostAtOnce <= 3, `at most 3 requests at once (${seen.mostAtOnce})`)
  })

  t.test('a reader that stops early aborts the requests in flight and starts no more', async t => {
    // Through a proxy at 256 KiB/s a connection, each range of 256 KiB takes a second: all are in flight at the stop.
    const proxy = await startThrottlingProxy(config.awsEndpoint!, 256 * 1024)
    t.teardown(proxy.close)
    await put('stopped.bin', noise(10 * 256 * 1024, 9))
    const { s3: observed, seen } = observedClient({ ...config, awsEndpoint: proxy.endpoint })
    const stored = await readObject(observed, bucket, 'stopped.bin', undefined, { rangeBytes: 256 * 1024, concurrency: 3 })
    const reading = stored.body[Symbol.asyncIterator]()
    await reading.next()
    await reading.return?.()
    await waitFor(async () => seen.requests.every(r => r.outcome !== 'sent' && r.outcome !== 'streaming') ? true : undefined, 5000, 'every request to end')
    t.same(seen.requests.map(r => [r.range, r.outcome]), [
      ['bytes=0-262143', 'aborted'], ['bytes=262144-524287', 'aborted'], ['bytes=524288-786431', 'aborted']
    ])
  })
})
