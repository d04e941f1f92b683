// Creates the bucket and the table when they are missing, and adds an index a table made by an older version
// lacks; safe to run on every start.
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3'
import {
  CreateTableCommand, DeleteTableCommand, DescribeTableCommand, ResourceNotFoundException, UpdateTableCommand,
  waitUntilTableExists, waitUntilTableNotExists, type DynamoDBClient, type TableDescription
} from '@aws-sdk/client-dynamodb'
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb'
import { setTimeout as sleep } from 'node:timers/promises'
import { INDEXES, tableDefinition } from './metadata-table.ts'

export async function ensureBucket (s3: S3Client, bucketName: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucketName }))
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw err
    await s3.send(new CreateBucketCommand({ Bucket: bucketName }))
  }
}

/** Suffix of the copy a table is rebuilt through when its endpoint cannot add an index to it in place. */
const REBUILD_SUFFIX = '.rebuild'
/** The item written last to a complete copy (no filename of a file can start with a NUL character). */
const COPIED_MARKER = { filename: '\u0000copy-complete' }

/**
 * Creates the table, or brings an existing one up to the current definition: each missing global secondary index
 * is added with UpdateTable (DynamoDB and LocalStack build it online; this waits until it is active). An endpoint
 * that cannot add an index in place (dynalite, the embedded DynamoDB: it refuses the request, or would accept it
 * and add nothing) gets the table rebuilt:
 * every item copied to `<table>.rebuild`, the table created again with all indexes, the items copied back, the
 * copy deleted. A rebuild cut short is finished by the next run: a copy is complete once its last item, a marker,
 * is written, and only a complete copy lets the table be deleted; an incomplete one is dropped and made again.
 */
export async function ensureTable (dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  // Each step can be taken again from where a failed one stopped, so a server-side failure (an unparseable answer
  // from dynalite was seen once during a rebuild, on a loaded machine) is tried again, twice.
  for (let attempt = 1; ; attempt++) {
    try {
      await upgradeTable(dynamodb, tableName)
      return
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0
      if (attempt === 3 || (status < 500 && (err as Error).name !== 'UnknownError')) throw err
      await sleep(500 * attempt)
    }
  }
}

async function upgradeTable (dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  const rebuild = `${tableName}${REBUILD_SUFFIX}`
  if (await describe(dynamodb, rebuild) !== undefined) {
    if (await isCompleteCopy(dynamodb, rebuild)) {
      await finishRebuild(dynamodb, tableName, rebuild)
      return
    }
    await dynamodb.send(new DeleteTableCommand({ TableName: rebuild }))
    await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: rebuild })
  }
  const table = await describe(dynamodb, tableName)
  if (table === undefined) {
    await create(dynamodb, tableName)
    return
  }
  const missing = INDEXES.filter(index => !(table.GlobalSecondaryIndexes ?? []).some(existing => existing.IndexName === index.IndexName))
  for (const index of missing) {
    const definition = tableDefinition(tableName)
    const keys = new Set(index.KeySchema!.map(key => key.AttributeName))
    const accepted = await dynamodb.send(new UpdateTableCommand({
      TableName: tableName,
      AttributeDefinitions: definition.AttributeDefinitions!.filter(attribute => keys.has(attribute.AttributeName)),
      GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }]
    })).then(() => true, (err: unknown) => {
      // dynalite wants a provisioned throughput even for an on-demand table (DynamoDB refuses one there).
      if ((err as Error).name === 'ValidationException' && /provisionedThroughput/i.test((err as Error).message)) return false
      throw err
    })
    const added = accepted && (await describe(dynamodb, tableName))?.GlobalSecondaryIndexes?.some(existing => existing.IndexName === index.IndexName)
    if (added !== true) {
      await copyItems(dynamodb, tableName, rebuild, true)
      await finishRebuild(dynamodb, tableName, rebuild)
      return
    }
    await waitForIndex(dynamodb, tableName, index.IndexName!)
  }
}

async function describe (dynamodb: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined
    throw err
  }
}

async function create (dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(new CreateTableCommand(tableDefinition(tableName)))
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName })
}

/** The table's items are all in the copy: make the table again with every index, refill it, drop the copy. */
async function finishRebuild (dynamodb: DynamoDBClient, tableName: string, rebuild: string): Promise<void> {
  if (await describe(dynamodb, tableName) !== undefined) {
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }))
    await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName })
  }
  await create(dynamodb, tableName)
  await copyItems(dynamodb, rebuild, tableName, false)
  await dynamodb.send(new DeleteTableCommand({ TableName: rebuild }))
  // Deleting takes a while (dynalite too): gone before this returns, or a rebuild right after finds it DELETING.
  await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: rebuild })
}

async function isCompleteCopy (dynamodb: DynamoDBClient, rebuild: string): Promise<boolean> {
  const { Item } = await DynamoDBDocumentClient.from(dynamodb).send(new GetCommand({ TableName: rebuild, Key: COPIED_MARKER }))
  return Item !== undefined
}

/** Copies every item of `from` into `to` (created, without indexes, when `createTarget`). */
async function copyItems (dynamodb: DynamoDBClient, from: string, to: string, createTarget: boolean): Promise<void> {
  if (createTarget) {
    const { AttributeDefinitions, KeySchema, BillingMode } = tableDefinition(to)
    await dynamodb.send(new CreateTableCommand({
      TableName: to,
      BillingMode,
      KeySchema,
      AttributeDefinitions: AttributeDefinitions!.filter(attribute => KeySchema!.some(key => key.AttributeName === attribute.AttributeName))
    }))
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: to })
  }
  const documents = DynamoDBDocumentClient.from(dynamodb)
  for await (const page of paginateScan({ client: documents }, { TableName: from })) {
    const items = (page.Items ?? []).filter(item => item.filename !== COPIED_MARKER.filename)
    for (let i = 0; i < items.length; i += 25) {
      let pending = { [to]: items.slice(i, i + 25).map(Item => ({ PutRequest: { Item } })) }
      while ((pending[to]?.length ?? 0) > 0) {
        const { UnprocessedItems } = await documents.send(new BatchWriteCommand({ RequestItems: pending }))
        pending = (UnprocessedItems ?? {}) as typeof pending
      }
    }
  }
  if (createTarget) await documents.send(new PutCommand({ TableName: to, Item: COPIED_MARKER }))
}

/** DynamoDB builds an added index in the background (minutes on a large table); queries need it active. */
async function waitForIndex (dynamodb: DynamoDBClient, tableName: string, indexName: string): Promise<void> {
  const deadline = Date.now() + 30 * 60_000
  for (;;) {
    const status = (await describe(dynamodb, tableName))?.GlobalSecondaryIndexes?.find(index => index.IndexName === indexName)?.IndexStatus
    if (status === undefined || status === 'ACTIVE') return
    if (Date.now() > deadline) throw new Error(`the index ${indexName} of ${tableName} is still ${status} after 30 minutes`)
    await sleep(5000)
  }
}
