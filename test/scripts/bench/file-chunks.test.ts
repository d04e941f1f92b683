// The profile bench's file reader: every byte once, in order, through its reused buffers; the extractor reads it whole.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip, gzipSync } from 'node:zlib'
import t from 'tap'
import { CHUNK_BYTES, fileChunks, slotsForPieces } from '../../../scripts/bench/file-chunks.ts'
import { ProfilePool } from '../../../lambda/profile-pool.ts'
import type { PieceJob } from '../../../shared/csv-pieces.ts'
import { extractCsvMetadata } from '../../../shared/csv-metadata.ts'

t.test('chunks of the asked size, the last one short, each valid until two more were asked for', async t => {
  const bytes = Buffer.from(Array.from({ length: 3_500 }, (_, i) => (i * 7) % 251))
  const path = join(t.testdir({ 'bytes.bin': bytes }), 'bytes.bin')
  const copies: Buffer[] = []
  const held: Buffer[] = []
  for await (const chunk of fileChunks(path, 3, 1_000)) {
    copies.push(Buffer.from(chunk))
    held.push(chunk)
    // The chunk before this one is still intact.
    if (held.length > 1) t.same(held.at(-2), copies.at(-2))
  }
  t.same(copies.map(chunk => chunk.length), [1_000, 1_000, 1_000, 500])
  t.same(Buffer.concat(copies), bytes)
})

t.test('an empty file gives no chunk', async t => {
  const path = join(t.testdir({ 'empty.csv': '' }), 'empty.csv')
  const chunks: Buffer[] = []
  for await (const chunk of fileChunks(path)) chunks.push(chunk)
  t.same(chunks, [])
})

t.test('the extractor on these chunks says what it says on the whole file in memory', async t => {
  const text = 'id,name,amount\n' + Array.from({ length: 150_000 }, (_, i) => `${i},"name ${i}, ok",${i * 1.5}`).join('\n') + '\n'
  t.ok(text.length > 3 * CHUNK_BYTES, `${text.length} bytes: every buffer is used more than once`)
  const path = join(t.testdir({ 'rows.csv': text }), 'rows.csv')
  const chunked = await extractCsvMetadata(() => fileChunks(path))
  const whole = await extractCsvMetadata(() => [readFileSync(path)])
  t.equal(chunked.row_count, 150_000)
  t.same(chunked, whole)
})

t.test('pieces for a worker thread, with buffers for a whole piece more, read what the sequential extractor reads', async t => {
  const text = 'id,name,amount\n' + Array.from({ length: 200_000 }, (_, i) => `${i},"name ${i}, ok",${i * 1.5}`).join('\n') + '\n'
  const path = join(t.testdir({ 'rows.csv': text }), 'rows.csv')
  const pool = new ProfilePool(1, 2 * CHUNK_BYTES)
  t.teardown(() => pool.close())
  // Every piece's answer, to tell a piece that gave up (the file then goes to csv-parse, and the answer is still right).
  const answers: Array<string | undefined> = []
  const watched = {
    workers: pool.workers,
    pieceBytes: pool.pieceBytes,
    profile: async (job: PieceJob, piece: Uint8Array, handOver: boolean) => {
      const result = await pool.profile(job, piece, handOver)
      answers.push(result.gaveUp)
      return result
    }
  }
  const slots = slotsForPieces(path, pool.pieceBytes)
  t.equal(slots, 5, 'three, and two for a piece of 2 MiB over 3 columns')
  const pieced = await extractCsvMetadata(() => fileChunks(path, slots), undefined, watched)
  t.ok(answers.length >= 2, `${answers.length} pieces went to the thread`)
  t.same(answers.filter(gaveUp => gaveUp !== undefined), [], 'no piece gave up')
  t.same(pieced, await extractCsvMetadata(() => [readFileSync(path)]))
})

t.test('gunzip through a pipeline reads the same bytes', async t => {
  const text = 'a,b\n' + '1,2\n'.repeat(1_000_000)
  const path = join(t.testdir({ 'rows.csv.gz': gzipSync(text) }), 'rows.csv.gz')
  const gunzip = createGunzip()
  const piped = pipeline(fileChunks(path, 3, 4_096), gunzip)
  const out: Buffer[] = []
  for await (const chunk of gunzip as AsyncIterable<Buffer>) out.push(chunk)
  await piped
  t.equal(Buffer.concat(out).toString(), text)
})
