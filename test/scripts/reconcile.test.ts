// `npm run reconcile` against the real emulators: it finds every kind of drift, repairs it, and a second run
// finds nothing; a dry run changes nothing.
import t from 'tap'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { readDeadLetters, writeDeadLetter } from '../../embedded/dead-letters.ts'
import { startEmulator } from '../helpers/stack.ts'
import { SEED } from '../helpers/sample.ts'
import { dataDirectory } from '../helpers/data-dir.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
t.test('npm run reconcile', async t => {
  const { config, s3, table } = await startEmulator(t)
  const put = async (key: string, body: string) =>
    (await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: body }))).ETag!.replace(/"/g, '')
  const record = (filename: string, etag: string, status: 'processing' | 'processed', uploaded = '2026-11-24T10:00:00.000Z') =>
    table.put({ filename, etag, status, upload_timestamp: uploaded, file_size_bytes: 85 })

  await put('missing.csv', SEED)
  await put('stale.csv', SEED)
  await record('stale.csv', 'an-older-version', 'processed')
  await record('stuck.csv', await put('stuck.csv', SEED), 'processing')
  await record('fresh.csv', await put('fresh.csv', SEED), 'processing', new Date().toISOString())
  await record('fine.csv', await put('fine.csv', SEED), 'processed')
  await record('orphan.csv', 'gone', 'processed')
  writeDeadLetter(config.dataDir, { Records: [] }, 'DynamoDB unreachable')

  const reconcile = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, STACK: 'embedded', EMBEDDED_PORT: String(config.embeddedPort), DATA_DIR: config.dataDir }
  })

  const dry = await reconcile('--dry-run')
  t.match(dry.stdout, /missing +missing\.csv/)
  t.match(dry.stdout, /stale +stale\.csv/)
  t.match(dry.stdout, /stuck +stuck\.csv/)
  t.match(dry.stdout, /orphan +orphan\.csv/)
  t.notMatch(dry.stdout, /fresh\.csv|fine\.csv/, 'a record processing for a moment is not stuck')
  t.match(dry.stdout, /4 file\(s\) to repair; nothing changed \(dry run\)/)
  t.match(dry.stdout, /dead letter .*: DynamoDB unreachable/)
  t.equal(await table.get('missing.csv'), undefined, 'the dry run changed nothing')

  const first = await reconcile()
  t.match(first.stdout, /4 of 4 file\(s\) repaired; 1 dead letter\(s\) cleared\./)
  for (const key of ['missing.csv', 'stale.csv', 'stuck.csv']) {
    t.match(await table.get(key), { status: 'processed', row_count: 2, column_count: 5 }, key)
  }
  t.equal(await table.get('orphan.csv'), undefined, 'the record of a deleted object is gone')
  t.same(readDeadLetters(config.dataDir), [])

  const second = await reconcile()
  t.match(second.stdout, /0 of 0 file\(s\) repaired\./, 'running it twice is harmless')
})

t.test('npm run reconcile says what to do when the stack is not running', async t => {
  const { freePort } = await import('../helpers/stack.ts')
  const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts'], {
    cwd: ROOT,
    env: { ...process.env, STACK: 'embedded', EMBEDDED_PORT: String(await freePort()), DATA_DIR: dataDirectory(t) }
  }).then(() => undefined, (err: { code: number, stderr: string }) => err)
  t.equal(result?.code, 1)
  t.match(result?.stderr, /Cannot reconcile: S3 or DynamoDB at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\)\. Is `npm start` running\?/)
})
