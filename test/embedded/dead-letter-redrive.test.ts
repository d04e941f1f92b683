// A dead letter says why the event failed, and the next start re-drives the letter's own event: the file's upload
// time and sequencer are those S3 gave it, not ones rebuilt from a bucket listing.
import t from 'tap'
import { join } from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { createDocumentClient, createDynamoDBClient, createS3Client } from '../../aws/clients.ts'
import { MetadataTable } from '../../aws/metadata-table.ts'
import { readDeadLetters } from '../../embedded/dead-letters.ts'
import { startEmbeddedStack } from '../../embedded/stack.ts'
import { orderingKey } from '../../shared/sequencer.ts'
import { freePort, testConfig, waitFor } from '../helpers/stack.ts'
import { SEED } from '../helpers/sample.ts'
import { dataDirectory } from '../helpers/data-dir.ts'

interface LetterEvent { Records: Array<{ eventTime: string, s3: { object: { key: string, sequencer: string } } }> }

t.test('the table gone while a file is processed: a dead letter with the cause, then the original event re-driven', async t => {
  const config = testConfig({ embeddedPort: await freePort(), dataDir: join(dataDirectory(t), 'data') })
  const s3 = createS3Client(config)
  const table = new MetadataTable(createDocumentClient(config), config.tableName)

  const failing = await startEmbeddedStack(config, { output: 'ignore', retryDelaysMs: [10, 10] })
  await failing.caughtUp
  await createDynamoDBClient(config).send(new DeleteTableCommand({ TableName: config.tableName }))
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'lost.csv', Body: SEED }))
  const [letter] = await waitFor(async () => {
    const found = readDeadLetters(config.dataDir)
    return found.length > 0 ? found : undefined
  }, 30_000, 'a dead letter')
  t.match(letter?.error, /^1 of 1 records failed: lost\.csv: ResourceNotFoundException: \S/, 'the letter carries the cause, not only a count')
  const [original] = (letter?.event as LetterEvent).Records
  await failing.close()

  const healthy = await startEmbeddedStack(config, { output: 'ignore' })
  t.teardown(() => healthy.close())
  t.same((await healthy.caughtUp).drift.map(d => [d.key, d.reason]), [['lost.csv', 'missing']])
  const record = await waitFor(async () => {
    const found = await table.get('lost.csv')
    return found?.status === 'processed' ? found : undefined
  }, 30_000, 'lost.csv to be processed')
  t.equal(record.upload_timestamp, new Date(original!.eventTime).toISOString(), 'the upload time S3 gave it, to the millisecond')
  const { Item } = await createDocumentClient(config).send(new GetCommand({ TableName: config.tableName, Key: { filename: 'lost.csv' } }))
  t.equal(Item?.sequencer, orderingKey(original!.s3.object.sequencer), 'and its sequencer, so a later upload still orders after it')
})
