// A table made before the change feed existed, on the embedded DynamoDB (dynalite, which accepts UpdateTable but
// adds no index): ensureTable rebuilds it with every index, keeps every item, and finishes a rebuild cut short.
import t from 'tap'
import { CreateTableCommand, DescribeTableCommand, ListTablesCommand, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { startAwsEmulator } from '../../embedded/aws-emulator.ts'
import { createDocumentClient, createDynamoDBClient } from '../../aws/clients.ts'
import { MetadataTable, tableDefinition } from '../../aws/metadata-table.ts'
import { ensureTable } from '../../aws/provision.ts'
import { dataDirectory } from '../helpers/data-dir.ts'
import { freePort, testConfig } from '../helpers/stack.ts'

/** The table as versions before the feed made it: one index, no `feed` or `updated_at` attributes. */
async function createOlderTable (dynamodb: DynamoDBClient, name: string): Promise<void> {
  const current = tableDefinition(name)
  await dynamodb.send(new CreateTableCommand({
    ...current,
    AttributeDefinitions: current.AttributeDefinitions!.filter(a => !['feed', 'updated_at'].includes(a.AttributeName!)),
    GlobalSecondaryIndexes: current.GlobalSecondaryIndexes!.filter(index => index.IndexName === 'by-upload-time')
  }))
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: name })
}

/** A bare copy table, as a rebuild makes it. */
async function createCopy (dynamodb: DynamoDBClient, name: string): Promise<void> {
  await dynamodb.send(new CreateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'filename', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'filename', AttributeType: 'S' }] }))
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: name })
}

const indexes = async (dynamodb: DynamoDBClient, name: string) =>
  (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table?.GlobalSecondaryIndexes?.map(index => index.IndexName).sort()

t.test('an older table gains the feed index on the embedded DynamoDB', async t => {
  const port = await freePort()
  const config = testConfig({ embeddedPort: port, dataDir: dataDirectory(t) })
  const emulator = await startAwsEmulator({ host: '127.0.0.1', port, dataDir: config.dataDir, buckets: [config.bucketName], onS3Event: () => {} })
  t.teardown(() => emulator.close())
  const dynamodb = createDynamoDBClient(config)
  const documents = createDocumentClient(config)
  const old = (name: string) => new MetadataTable(documents, name)
  const processed = (filename: string, minute: number) => ({
    filename, upload_timestamp: `2026-11-24T10:${String(minute).padStart(2, '0')}:00.000Z`, file_size_bytes: 85, etag: 'e', status: 'processed' as const, row_count: 2
  })

  t.test('rebuilt with every index; items, tombstones and sequencers kept; listing and feed work', async t => {
    await createOlderTable(dynamodb, 'Older')
    for (let i = 0; i < 60; i++) await old('Older').put(processed(`file-${i}.csv`, i % 60), `S${String(i).padStart(4, '0')}`)
    await old('Older').markDeleted('gone.csv', '2026-11-24T11:00:00.000Z', 'S9999')
    await ensureTable(dynamodb, 'Older')
    t.same(await indexes(dynamodb, 'Older'), ['by-update-time', 'by-upload-time'])
    const table = old('Older')
    t.match(await table.get('file-7.csv'), { status: 'processed', row_count: 2 })
    t.equal(await table.get('gone.csv'), undefined, 'the tombstone is still a tombstone')
    t.notOk(await table.put(processed('gone.csv', 1), 'S0001'), 'and still stops an older event')
    const all: string[] = []
    let cursor: string | undefined
    do {
      const page = await table.list(25, cursor)
      all.push(...page.items.map(item => item.filename))
      cursor = page.nextCursor ?? undefined
    } while (cursor !== undefined)
    t.equal(all.length, 60, 'every file listed')
    const before = new Date().toISOString()
    await table.put(processed('new.csv', 5))
    const changes = await table.changesAfter({ updatedAt: before, filename: '' })
    t.match(changes, [{ deleted: false, record: { filename: 'new.csv' } }], 'new writes reach the feed')
    t.same((await dynamodb.send(new ListTablesCommand({}))).TableNames?.filter(name => name.startsWith('Older')), ['Older'], 'no copy left')
    await ensureTable(dynamodb, 'Older')
    t.same(await indexes(dynamodb, 'Older'), ['by-update-time', 'by-upload-time'], 'running it again changes nothing')
  })

  t.test('a rebuild cut short after its copy was complete is finished by the next run', async t => {
    await createOlderTable(dynamodb, 'Halted')
    await old('Halted').put(processed('safe.csv', 1))
    await ensureTable(dynamodb, 'Halted')
    // What a crash between deleting the table and filling it again leaves: a complete copy, the table missing or empty.
    await createCopy(dynamodb, 'Halted.rebuild')
    await documents.send(new PutCommand({ TableName: 'Halted.rebuild', Item: { ...processed('copied.csv', 2), listing: 'files' } }))
    await documents.send(new PutCommand({ TableName: 'Halted.rebuild', Item: { filename: '\u0000copy-complete' } }))
    await ensureTable(dynamodb, 'Halted')
    t.match(await old('Halted').get('copied.csv'), { status: 'processed' }, 'the table holds the copy')
    t.equal(await old('Halted').get('\u0000copy-complete'), undefined, 'not the marker')
    t.same((await dynamodb.send(new ListTablesCommand({}))).TableNames?.filter(name => name.startsWith('Halted')), ['Halted'])
  })

  t.test('a copy cut short is dropped and the table left as it was, then upgraded', async t => {
    await createOlderTable(dynamodb, 'Partial')
    await old('Partial').put(processed('original.csv', 1))
    await createCopy(dynamodb, 'Partial.rebuild')
    await ensureTable(dynamodb, 'Partial')
    t.match(await old('Partial').get('original.csv'), { status: 'processed' }, 'nothing lost')
    t.same(await indexes(dynamodb, 'Partial'), ['by-update-time', 'by-upload-time'])
  })
})
