// `npm run reconcile` and dead letters: each letter's own event is re-driven (eventTime and sequencer kept), and
// no letter is cleared while a file it names is still processing.
import t from 'tap'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { createDocumentClient } from '../../aws/clients.ts'
import { readDeadLetters, writeDeadLetter } from '../../embedded/dead-letters.ts'
import { encodeEventKey } from '../../shared/s3-event-key.ts'
import { orderingKey } from '../../shared/sequencer.ts'
import { startEmulator } from '../helpers/stack.ts'
import { SEED } from '../helpers/sample.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function createdEvent (key: string, etag: string, eventTime: string, sequencer: string) {
  return {
    Records: [{
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventTime,
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'test-bucket', arn: 'arn:aws:s3:::test-bucket' }, object: { key: encodeEventKey(key), size: SEED.length, eTag: etag, sequencer } }
    }]
  }
}

t.test('dead letters are re-driven with their own event and cleared only once their file has a verdict', async t => {
  const { config, s3, table } = await startEmulator(t)
  const documents = createDocumentClient(config)
  const put = async (key: string) => (await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: SEED }))).ETag!.replace(/"/g, '')
  const reconcile = () => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts'], {
    cwd: ROOT,
    env: { ...process.env, STACK: 'embedded', EMBEDDED_PORT: String(config.embeddedPort), DATA_DIR: config.dataDir }
  }).then(({ stdout }) => ({ code: 0, stdout }), (err: { code: number, stdout: string }) => err)

  // lost.csv failed for good: no record at all. Its letter holds the upload's exact time and sequencer.
  const lostEtag = await put('lost.csv')
  writeDeadLetter(config.dataDir, createdEvent('lost.csv', lostEtag, '2026-11-24T10:30:45.123Z', '0055AED6DCD90281E5'),
    '1 of 1 records failed: lost.csv: TimeoutError: DynamoDB did not answer')
  // busy.csv failed too, but a newer upload of it is being read right now: its record says processing.
  const busyEtag = await put('busy.csv')
  writeDeadLetter(config.dataDir, createdEvent('busy.csv', busyEtag, '2026-11-24T10:30:45.000Z', '0055AED6DCD90281E5'),
    '1 of 1 records failed: busy.csv: TimeoutError: DynamoDB did not answer')
  const newer = { filename: 'busy.csv', etag: busyEtag, status: 'processing' as const, upload_timestamp: new Date().toISOString(), file_size_bytes: SEED.length }
  await table.put(newer, orderingKey('0055AED6DCD90281F0'))

  const first = await reconcile()
  t.equal(first.code, 1, 'a kept letter is a file not yet repaired')
  t.match(first.stdout, /dead letter .* \(.*lost\.csv\): 1 of 1 records failed: lost\.csv: TimeoutError/, 'the letter, its file and its cause are shown')
  t.match(first.stdout, /KEPT +dead letter .*: busy\.csv still processing; run again later/)
  t.match(first.stdout, /1 dead letter\(s\) cleared; 1 dead letter\(s\) kept\./)
  t.match(await table.get('lost.csv'), { status: 'processed', row_count: 2, upload_timestamp: '2026-11-24T10:30:45.123Z' }, 'the upload time keeps its milliseconds')
  const { Item } = await documents.send(new GetCommand({ TableName: config.tableName, Key: { filename: 'lost.csv' } }))
  t.equal(Item?.sequencer, orderingKey('0055AED6DCD90281E5'), 'and the record keeps the upload\'s sequencer')
  t.match(await table.get('busy.csv'), { status: 'processing' }, 'the older event changed nothing')
  t.same(readDeadLetters(config.dataDir).map(letter => letter.error), ['1 of 1 records failed: busy.csv: TimeoutError: DynamoDB did not answer'])

  // The newer upload gets its verdict; now the letter is moot.
  await table.put({ ...newer, status: 'processed', row_count: 2 }, orderingKey('0055AED6DCD90281F0'))
  const second = await reconcile()
  t.equal(second.code, 0)
  t.match(second.stdout, /0 of 0 file\(s\) repaired; 1 dead letter\(s\) cleared\./)
  t.same(readDeadLetters(config.dataDir), [])
})
