// The profile pool: how many threads it starts by default, and that its threads profile pieces as this thread would.
import t from 'tap'
import { ProfilePool } from '../../lambda/profile-pool.ts'
import { profileWorkers } from '../../lambda/profilers.ts'
import { profilePiece } from '../../shared/csv-pieces.ts'

t.test('unset, one thread per core but the handler\'s from 4 cores on, none below; a setting wins', async t => {
  t.same([profileWorkers(undefined, 1), profileWorkers(undefined, 2), profileWorkers(undefined, 3)], [0, 0, 0])
  t.same([profileWorkers(undefined, 4), profileWorkers(undefined, 6)], [3, 5])
  t.same([profileWorkers(0, 6), profileWorkers(2, 2)], [0, 2])
})

t.test('pieces profiled by the pool\'s threads, more at once than it has threads, answer what this thread answers', async t => {
  const pool = new ProfilePool(2, 1024)
  t.teardown(() => pool.close())
  const job = { dialect: { delimiter: ';', quote: '"', comment: '#' }, fields: 3, maxColumns: 10, maxRecordBytes: 1 << 20 }
  const pieces = Array.from({ length: 5 }, (_, p) => Buffer.from(Array.from({ length: 50 }, (_, i) => `${p * 50 + i};"x\n${i % 4}";2024-01-0${1 + i % 9}\n# a comment\n`).join('')))
  const here = pieces.map(piece => profilePiece(job, piece))
  const there = await Promise.all(pieces.map(piece => pool.profile(job, Buffer.from(piece))))
  t.same(there, here)
  t.same(there.map(r => r.rows), [50, 50, 50, 50, 50])
})
