// The profile thread: a file larger than a block is scanned there with what this thread finds; a small one, a second
// file at once, and a thread that stops are each handled without losing the file.
import t from 'tap'
import { profilerFor } from '../../lambda/profilers.ts'
import { ProfilePool } from '../../lambda/profile-pool.ts'
import { ProfileThread } from '../../lambda/profile-thread.ts'
import { extractCsvMetadata } from '../../shared/csv-metadata.ts'
import type { StreamJob, StreamProfiler } from '../../shared/csv-stream.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'

const BLOCK = 64 * 1024
const rows = (count: number, from = 0) => Array.from({ length: count }, (_, k) => {
  const i = from + k
  return `${i},"name ${i % 977}, ""q""",${(i * 7919 % 100_000) / 100},2026-03-${String(1 + i % 28).padStart(2, '0')},${i % 3 === 0 ? 'true' : 'false'}\r\n`
}).join('')
const header = 'id,name,amount,day,paid\r\n'
/** About 1.2 MB: nineteen blocks of 64 KiB. */
const large = Buffer.from(header + rows(20_000))

/** The text in chunks of 10,000 bytes, as a stream would give it. */
function chunks (bytes: Buffer): Buffer[] {
  return Array.from({ length: Math.ceil(bytes.length / 10_000) }, (_, i) => bytes.subarray(i * 10_000, (i + 1) * 10_000))
}

/** The thread, counting the texts it was asked to scan. */
function counted (thread: ProfileThread): StreamProfiler & { opened: number } {
  const counter = { blockBytes: thread.blockBytes, opened: 0, open: (job: StreamJob) => { counter.opened++; return thread.open(job) } }
  return counter
}

t.test('a file of many blocks is scanned on the thread, with the metadata and profile this thread finds', async t => {
  const thread = new ProfileThread(BLOCK)
  t.teardown(() => thread.close())
  const profiler = counted(thread)
  const here = await extractCsvMetadata(() => chunks(large))
  const there = await extractCsvMetadata(() => chunks(large), DEFAULT_LIMITS, profiler)
  t.equal(profiler.opened, 1, 'the thread scanned it')
  t.equal(there.row_count, 20_000)
  t.same(there, here)
  t.same(there.profile.columns.map(c => c.type), ['integer', 'string', 'number', 'date', 'boolean'])
  // The thread is free again: the next file is scanned there too.
  t.same(await extractCsvMetadata(() => chunks(large), DEFAULT_LIMITS, profiler), here)
  t.equal(profiler.opened, 2)
})

t.test('a text within its first block is scanned on this thread, without waking the thread', async t => {
  const thread = new ProfileThread(BLOCK)
  t.teardown(() => thread.close())
  const profiler = counted(thread)
  const small = Buffer.from(header + rows(50))
  t.same(await extractCsvMetadata(() => chunks(small), DEFAULT_LIMITS, profiler), await extractCsvMetadata(() => chunks(small)))
  t.equal(profiler.opened, 0)
})

t.test('while the thread has a file, a second one is scanned on this thread, and the thread is free once the first ends', async t => {
  const thread = new ProfileThread(BLOCK)
  t.teardown(() => thread.close())
  const busy = thread.open({ dialect: { delimiter: ',', quote: '"', comment: null }, maxColumns: 10, maxRecordBytes: 1 << 20, firstIsData: false })
  t.ok(busy, 'the thread takes a first text')
  t.equal(thread.open({ dialect: { delimiter: ',', quote: '"', comment: null }, maxColumns: 10, maxRecordBytes: 1 << 20, firstIsData: false }), undefined, 'not a second')
  const profiler = counted(thread)
  t.same(await extractCsvMetadata(() => chunks(large), DEFAULT_LIMITS, profiler), await extractCsvMetadata(() => chunks(large)), 'the second file, read meanwhile')
  busy!.close()
  t.ok(thread.open({ dialect: { delimiter: ',', quote: '"', comment: null }, maxColumns: 10, maxRecordBytes: 1 << 20, firstIsData: false }), 'free again')
})

t.test('a row of the wrong width in a later block gives the file to csv-parse, which names its line', async t => {
  const thread = new ProfileThread(BLOCK)
  t.teardown(() => thread.close())
  const ragged = Buffer.from(header + rows(15_000) + '15000,too,many,fields,here,and,more\r\n' + rows(100, 15_001))
  const expected = { code: 'extra-cell', line: 15_002 }
  const profiler = counted(thread)
  await t.rejects(extractCsvMetadata(() => chunks(ragged), DEFAULT_LIMITS, profiler), expected)
  t.equal(profiler.opened, 1, 'the thread gave it up')
  await t.rejects(extractCsvMetadata(() => chunks(ragged)), expected)
})

t.test('a thread that stops fails the file it was scanning with a clear error; the next file starts another', async t => {
  const thread = new ProfileThread(BLOCK)
  t.teardown(() => thread.close())
  async function * stopping () {
    for (const [i, chunk] of chunks(large).entries()) {
      // Once a few blocks went to the thread, it is stopped.
      if (i === 30) await thread.close()
      yield chunk
    }
  }
  await t.rejects(extractCsvMetadata(() => stopping(), DEFAULT_LIMITS, thread), /the profile thread (was stopped|stopped while it was scanning this file)/)
  const profiler = counted(thread)
  t.equal((await extractCsvMetadata(() => chunks(large), DEFAULT_LIMITS, profiler)).row_count, 20_000)
  t.equal(profiler.opened, 1, 'on a new thread')
})

t.test('PROFILE_WORKERS: none on the handler\'s thread, one thread for whole files, a pool for more', async t => {
  t.equal(profilerFor(0), undefined)
  const one = profilerFor(1)
  const two = profilerFor(2)
  t.teardown(async () => { await one?.close(); await two?.close() })
  t.ok(one instanceof ProfileThread)
  t.ok(two instanceof ProfilePool && two.workers === 2)
})

t.test('warmed at start-up, the thread is running before the first file, which it then scans', async t => {
  const thread = new ProfileThread(BLOCK)
  t.teardown(() => thread.close())
  await thread.warm()
  await thread.warm()
  const profiler = counted(thread)
  t.equal((await extractCsvMetadata(() => chunks(large), DEFAULT_LIMITS, profiler)).row_count, 20_000)
  t.equal(profiler.opened, 1)
})
