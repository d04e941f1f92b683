// The DynamoDB table of file metadata: its key design and the reads and writes both sides make.
import { GetCommand, PutCommand, QueryCommand, paginateScan, type DynamoDBDocumentClient, type PutCommandInput } from '@aws-sdk/lib-dynamodb'
import { ConditionalCheckFailedException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb'
import { Status, type FileMetadata } from '../shared/file-record.ts'
import { InvalidCursorError } from '../shared/errors.ts'

/**
 * Items are keyed by `filename` (the object key). Listing newest-first uses the global secondary index
 * `by-upload-time`, whose partition key `listing` is the same for every item, so one Query pages through
 * all files in upload order without scanning the table.
 *
 * Each item also keeps the S3 `sequencer` of the event that wrote it, and a write only lands when its event
 * is not older (see ../shared/sequencer.ts): duplicate events rewrite the same item, late ones change nothing. A
 * deleted object leaves a tombstone (`status: deleted`, no `listing`, so it drops out of the index), which
 * stops a late ObjectCreated event from bringing the file back.
 */
export const LISTING_INDEX = 'by-upload-time'
const LISTING_PARTITION = 'files'

export function tableDefinition (tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'filename', AttributeType: 'S' },
      { AttributeName: 'listing', AttributeType: 'S' },
      { AttributeName: 'upload_timestamp', AttributeType: 'S' }
    ],
    KeySchema: [{ AttributeName: 'filename', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [{
      IndexName: LISTING_INDEX,
      KeySchema: [
        { AttributeName: 'listing', KeyType: 'HASH' },
        { AttributeName: 'upload_timestamp', KeyType: 'RANGE' }
      ],
      Projection: { ProjectionType: 'ALL' }
    }]
  }
}

/** A record as the table holds it: whole, or without its large fields and pointing at them (./large-records.ts). */
export type StoredRecord = FileMetadata & {
  /** Key of the object in the bucket that holds the whole record, when it is too large for one item. */
  record_object?: string
}

export interface RecordPage {
  items: StoredRecord[]
  /** Opaque cursor for the next page, or null on the last page. */
  nextCursor: string | null
}

export interface RecordSummary {
  filename: string
  etag?: string
  status: Status
  upload_timestamp?: string
}

export class MetadataTable {
  readonly #client: DynamoDBDocumentClient
  readonly #tableName: string

  constructor (client: DynamoDBDocumentClient, tableName: string) {
    this.#client = client
    this.#tableName = tableName
  }

  /**
   * Writes the record, unless the item was written by a newer event than `sequencer` (an ordering key from
   * ../shared/sequencer.ts); returns false when it was. Without a sequencer the write is unconditional.
   */
  async put (record: StoredRecord, sequencer?: string): Promise<boolean> {
    return this.#putIfNotOlder({ ...record, listing: LISTING_PARTITION }, sequencer)
  }

  /** Leaves a tombstone for a deleted object, unless a newer event wrote the item; false when one did. */
  async markDeleted (filename: string, deletedAt: string, sequencer?: string): Promise<boolean> {
    return this.#putIfNotOlder({ filename, status: Status.deleted, deleted_at: deletedAt }, sequencer)
  }

  /** The record of a file that exists, or undefined (never uploaded, or deleted). */
  async get (filename: string): Promise<StoredRecord | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: { filename } }))
    return Item === undefined || Item.status === Status.deleted ? undefined : asRecord(Item)
  }

  /** Every item's key facts, tombstones included: a full Scan, for reconciliation only. */
  async * scanSummaries (): AsyncGenerator<RecordSummary> {
    const pages = paginateScan({ client: this.#client }, {
      TableName: this.#tableName,
      ProjectionExpression: 'filename, etag, #status, upload_timestamp',
      ExpressionAttributeNames: { '#status': 'status' }
    })
    for await (const page of pages) yield * (page.Items ?? []) as RecordSummary[]
  }

  async #putIfNotOlder (item: Record<string, unknown>, sequencer: string | undefined): Promise<boolean> {
    const input: PutCommandInput = sequencer === undefined
      ? { TableName: this.#tableName, Item: item }
      : {
          TableName: this.#tableName,
          Item: { ...item, sequencer },
          ConditionExpression: 'attribute_not_exists(sequencer) OR sequencer <= :sequencer',
          ExpressionAttributeValues: { ':sequencer': sequencer }
        }
    try {
      await this.#client.send(new PutCommand(input))
      return true
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false
      throw err
    }
  }

  /** One page of files, newest upload first. */
  async list (limit: number, cursor?: string): Promise<RecordPage> {
    const { Items = [], LastEvaluatedKey } = await this.#client.send(new QueryCommand({
      TableName: this.#tableName,
      IndexName: LISTING_INDEX,
      KeyConditionExpression: 'listing = :listing',
      ExpressionAttributeValues: { ':listing': LISTING_PARTITION },
      ScanIndexForward: false,
      Limit: limit,
      ...(cursor === undefined ? {} : { ExclusiveStartKey: decodeCursor(cursor) })
    }))
    return {
      items: Items.map(asRecord),
      nextCursor: LastEvaluatedKey === undefined ? null : encodeCursor(LastEvaluatedKey)
    }
  }
}

/** The API's view of an item: without the attributes that exist for indexing and ordering. */
function asRecord (item: Record<string, unknown>): StoredRecord {
  const { listing: _listing, sequencer: _sequencer, ...record } = item
  return record as StoredRecord
}

function encodeCursor (key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify([key.filename, key.upload_timestamp])).toString('base64url')
}

function decodeCursor (cursor: string): Record<string, string> {
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    parts = undefined
  }
  const [filename, uploadTimestamp] = Array.isArray(parts) && parts.length === 2 ? parts : []
  // DynamoDB refuses an empty key attribute with a ValidationException: that is the caller's mistake, not ours.
  if (typeof filename !== 'string' || typeof uploadTimestamp !== 'string' || filename === '' || Number.isNaN(Date.parse(uploadTimestamp))) {
    throw new InvalidCursorError('the cursor does not decode to a key of the listing index')
  }
  return { filename, upload_timestamp: uploadTimestamp, listing: LISTING_PARTITION }
}
