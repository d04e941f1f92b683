// Nothing is lost when processing fails for good or the stack dies: failed events become dead letters, and a
// restarted stack catches up on every file left without metadata.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { readDeadLetters } from '../../embedded/dead-letters.ts'
import { startEmbeddedStack } from '../../embedded/stack.ts'
import { createDocumentClient, createS3Client } from '../../aws/clients.ts'
import { MetadataTable } from '../../aws/metadata-table.ts'
import { freePort, testConfig, waitFor } from '../helpers/stack.ts'
import { dataDirectory } from '../helpers/data-dir.ts'

t.test('a failing handler leaves dead letters; the next start processes the files', async t => {
  const dir = dataDirectory(t)
  const broken = join(dir, 'broken-handler.mjs')
  writeFileSync(broken, 'export async function handler () { throw new Error("DynamoDB unreachable") }\n')
  const config = testConfig({ embeddedPort: await freePort(), dataDir: join(dir, 'data') })
  const s3 = createS3Client(config)
  const table = new MetadataTable(createDocumentClient(config), config.tableName)

  const failing = await startEmbeddedStack(config, { output: 'ignore', retryDelaysMs: [10, 10], handlerModule: pathToFileURL(broken).href })
  t.same((await failing.caughtUp).drift, [], 'a new stack has nothing to catch up on')
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'lost.csv', Body: 'a,b\n1,2\n' }))
  const letters = await waitFor(async () => {
    const found = readDeadLetters(config.dataDir)
    return found.length > 0 ? found : undefined
  }, 30_000, 'a dead letter')
  t.match(letters[0], { error: 'DynamoDB unreachable', event: { Records: [{ s3: { object: { key: 'lost.csv' } } }] } })
  await table.put({ filename: 'deleted-meanwhile.csv', etag: 'x', status: 'processed', upload_timestamp: '2026-11-24T10:00:00.000Z', file_size_bytes: 1 })
  await failing.close()

  const healthy = await startEmbeddedStack(config, { output: 'ignore' })
  t.teardown(() => healthy.close())
  const { drift, failures } = await healthy.caughtUp
  t.same(drift.map(d => [d.key, d.reason]).sort(), [['deleted-meanwhile.csv', 'orphan'], ['lost.csv', 'missing']])
  t.same(failures, [])
  const processed = await waitFor(async () => {
    const record = await table.get('lost.csv')
    return record?.status === 'processed' ? record : undefined
  }, 30_000, 'lost.csv to be processed')
  t.match(processed, { row_count: 1 })
  t.equal(await table.get('deleted-meanwhile.csv'), undefined)
  t.same(readDeadLetters(config.dataDir).map(letter => letter.error), ['DynamoDB unreachable'], 'the dead letter stays until `npm run reconcile` clears it')
})
