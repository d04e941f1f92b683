// The DynamoDB table of file metadata: its key design and the reads and writes both sides make.
import { PutCommand, QueryCommand, paginateScan, type DynamoDBDocumentClient, type PutCommandInput } from '@aws-sdk/lib-dynamodb'
import { ConditionalCheckFailedException, type CreateTableCommandInput, type GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb'
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'
import { Status, UPLOAD_GRACE_MS, type FileMetadata } from '../shared/file-record.ts'
import { InvalidCursorError } from '../shared/errors.ts'
import { createItemRequests, type ItemRequests } from './item-requests.ts'

/**
 * Items are keyed by `filename` (the object key). Listing newest-first uses the global secondary index
 * `by-upload-time`, whose partition key `listing` is the same for every item, so one Query pages through
 * all files in upload order without scanning the table.
 *
 * Each item also keeps the S3 `sequencer` of the event that wrote it, and a write only lands when its event
 * is not older (see ../shared/sequencer.ts): duplicate events rewrite the same item, late ones change nothing. A
 * deleted object leaves a tombstone (`status: deleted`, no `listing`, so it drops out of the index), which
 * stops a late ObjectCreated event from bringing the file back.
 *
 * Every write sets `updated_at` and `feed` (the same for every item, tombstones included): the index
 * `by-update-time` orders all changes, which the event stream (GET /events) polls. An `uploading` record carries
 * `expires_at_epoch`, the table's TTL attribute, so DynamoDB removes one whose upload never came.
 */
export const LISTING_INDEX = 'by-upload-time'
export const FEED_INDEX = 'by-update-time'
export const TTL_ATTRIBUTE = 'expires_at_epoch'
const LISTING_PARTITION = 'files'
const FEED_PARTITION = 'files'

/** The global secondary indexes, each created with the table or added to one made before it existed. */
export const INDEXES: GlobalSecondaryIndex[] = [
  {
    IndexName: LISTING_INDEX,
    KeySchema: [
      { AttributeName: 'listing', KeyType: 'HASH' },
      { AttributeName: 'upload_timestamp', KeyType: 'RANGE' }
    ],
    Projection: { ProjectionType: 'ALL' }
  },
  {
    IndexName: FEED_INDEX,
    KeySchema: [
      { AttributeName: 'feed', KeyType: 'HASH' },
      { AttributeName: 'updated_at', KeyType: 'RANGE' }
    ],
    Projection: { ProjectionType: 'ALL' }
  }
]

export function tableDefinition (tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'filename', AttributeType: 'S' },
      { AttributeName: 'listing', AttributeType: 'S' },
      { AttributeName: 'upload_timestamp', AttributeType: 'S' },
      { AttributeName: 'feed', AttributeType: 'S' },
      { AttributeName: 'updated_at', AttributeType: 'S' }
    ],
    KeySchema: [{ AttributeName: 'filename', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: INDEXES
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
  upload_expires_at?: string
}

/** What GET /files may narrow a listing to; each is applied inside the one Query. */
export interface ListFilters {
  status?: Exclude<Status, 'deleted'>
  /** Filenames that start with this. */
  prefix?: string
  /** Uploads at or after this instant (ISO 8601). */
  from?: string
  /** Uploads at or before this instant (ISO 8601). */
  to?: string
}

/** One change in the feed: a record as it is now, or a deleted file's tombstone. */
export type Change = { updated_at: string } & (
  | { deleted: false, record: StoredRecord }
  | { deleted: true, filename: string }
)

/** A place in the feed: changes strictly after (updated_at, filename). */
export interface FeedPosition {
  updatedAt: string
  filename: string
}

/** Marshalled as the document client marshals: lists and maps converted, undefined values left out. */
const MARSHALL = { removeUndefinedValues: true }

/**
 * The API's reads and writes of one item per request (get, putUploading) go through `items`, a GetItem and UpdateItem
 * sent without the SDK's per-call middleware (./item-requests.ts); the rest goes through the document client.
 */
export class MetadataTable {
  readonly #client: DynamoDBDocumentClient
  readonly #tableName: string
  readonly #items: ItemRequests

  constructor (client: DynamoDBDocumentClient, tableName: string, items: ItemRequests = createItemRequests(client)) {
    this.#client = client
    this.#tableName = tableName
    this.#items = items
  }

  /**
   * Writes the record, unless the item was written by a newer event than `sequencer` (an ordering key from
   * ../shared/sequencer.ts); returns false when it was. Without a sequencer the write is unconditional.
   */
  async put (record: StoredRecord, sequencer?: string): Promise<boolean> {
    return this.#putIfNotOlder({ ...record, listing: LISTING_PARTITION, ...changed() }, sequencer)
  }

  /** Leaves a tombstone for a deleted object, unless a newer event wrote the item; false when one did. */
  async markDeleted (filename: string, deletedAt: string, sequencer?: string): Promise<boolean> {
    return this.#putIfNotOlder(tombstone(filename, deletedAt), sequencer)
  }

  /**
   * Writes an `uploading` record, only where the file has none yet, a tombstone, or another `uploading` record (a
   * URL issued again gets the later expiry); false when the file exists. An update, not a put: a tombstone's
   * sequencer stays, so a late event of the deleted version still cannot bring it back, while the new upload's
   * event (a later sequencer) lands.
   */
  async putUploading (record: FileMetadata): Promise<boolean> {
    const expiresAt = Math.ceil((Date.parse(record.upload_expires_at!) + UPLOAD_GRACE_MS) / 1000)
    const values: Record<string, unknown> = { ...record, listing: LISTING_PARTITION, ...changed(), [TTL_ATTRIBUTE]: expiresAt }
    delete values.filename
    const names = Object.keys(values).filter(name => values[name] !== undefined)
    try {
      await this.#items('UpdateItem', {
        TableName: this.#tableName,
        Key: marshall({ filename: record.filename }),
        UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')} REMOVE deleted_at`,
        ConditionExpression: 'attribute_not_exists(filename) OR #status IN (:deleted, :uploading)',
        ExpressionAttributeNames: { ...Object.fromEntries(names.map((name, i) => [`#n${i}`, name])), '#status': 'status' },
        ExpressionAttributeValues: marshall({
          ...Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]])),
          ':deleted': Status.deleted,
          ':uploading': Status.uploading
        }, MARSHALL)
      })
      return true
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false
      throw err
    }
  }

  /** Turns an `uploading` record into a tombstone, unless its upload has arrived meanwhile; false when it has. */
  async deleteUploading (filename: string, deletedAt: string): Promise<boolean> {
    try {
      await this.#client.send(new PutCommand({
        TableName: this.#tableName,
        Item: tombstone(filename, deletedAt),
        ConditionExpression: '#status = :uploading',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':uploading': Status.uploading }
      }))
      return true
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false
      throw err
    }
  }

  /** The record of a file that exists, or undefined (never uploaded, or deleted). */
  async get (filename: string): Promise<StoredRecord | undefined> {
    const { Item } = await this.#items('GetItem', { TableName: this.#tableName, Key: marshall({ filename }) })
    const item = Item === undefined ? undefined : unmarshall(Item as Parameters<typeof unmarshall>[0])
    return item === undefined || item.status === Status.deleted ? undefined : asRecord(item)
  }

  /** Every item's key facts, tombstones included: a full Scan, for reconciliation only. */
  async * scanSummaries (): AsyncGenerator<RecordSummary> {
    const pages = paginateScan({ client: this.#client }, {
      TableName: this.#tableName,
      ProjectionExpression: 'filename, etag, #status, upload_timestamp, upload_expires_at',
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

  /**
   * One page of files, newest upload first: one Query, the time range in its key condition, the other filters (and
   * leaving out `uploading` records whose URL expired) applied by DynamoDB to the `limit` items it read, so a page
   * can hold fewer than `limit` items, or none, and still have a next one.
   */
  async list (limit: number, cursor?: string, filters: ListFilters = {}, now = Date.now()): Promise<RecordPage> {
    const names: Record<string, string> = { '#status': 'status' }
    const values: Record<string, unknown> = {
      ':listing': LISTING_PARTITION,
      ':uploading': Status.uploading,
      ':expired': new Date(now - UPLOAD_GRACE_MS).toISOString()
    }
    let range = ''
    if (filters.from !== undefined) values[':from'] = filters.from
    if (filters.to !== undefined) values[':to'] = filters.to
    if (filters.from !== undefined && filters.to !== undefined) range = ' AND upload_timestamp BETWEEN :from AND :to'
    else if (filters.from !== undefined) range = ' AND upload_timestamp >= :from'
    else if (filters.to !== undefined) range = ' AND upload_timestamp <= :to'
    const conditions = ['NOT (#status = :uploading AND upload_expires_at < :expired)']
    if (filters.status !== undefined) {
      conditions.push('#status = :status')
      values[':status'] = filters.status
    }
    if (filters.prefix !== undefined) {
      conditions.push('begins_with(filename, :prefix)')
      values[':prefix'] = filters.prefix
    }
    const { Items = [], LastEvaluatedKey } = await this.#client.send(new QueryCommand({
      TableName: this.#tableName,
      IndexName: LISTING_INDEX,
      KeyConditionExpression: `listing = :listing${range}`,
      FilterExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: limit,
      ...(cursor === undefined ? {} : { ExclusiveStartKey: decodeCursor(cursor) })
    }))
    return {
      items: Items.map(asRecord),
      nextCursor: LastEvaluatedKey === undefined ? null : encodeCursor(LastEvaluatedKey)
    }
  }

  /** The changes after `position`, oldest first: pages of the feed index until at least `max` (all, by default). */
  async changesAfter (position: FeedPosition, max = Number.POSITIVE_INFINITY): Promise<Change[]> {
    const changes: Change[] = []
    let start: Record<string, unknown> | undefined
    do {
      const { Items = [], LastEvaluatedKey }: { Items?: Array<Record<string, unknown>>, LastEvaluatedKey?: Record<string, unknown> } = await this.#client.send(new QueryCommand({
        TableName: this.#tableName,
        IndexName: FEED_INDEX,
        KeyConditionExpression: 'feed = :feed AND updated_at >= :after',
        ExpressionAttributeValues: { ':feed': FEED_PARTITION, ':after': position.updatedAt },
        ScanIndexForward: true,
        Limit: Math.min(max, 1000),
        ...(start === undefined ? {} : { ExclusiveStartKey: start })
      }))
      for (const item of Items) {
        const updatedAt = item.updated_at as string
        if (updatedAt === position.updatedAt && (item.filename as string) <= position.filename) continue
        changes.push(item.status === Status.deleted
          ? { updated_at: updatedAt, deleted: true, filename: item.filename as string }
          : { updated_at: updatedAt, deleted: false, record: asRecord(item) })
      }
      start = LastEvaluatedKey
    } while (start !== undefined && changes.length < max)
    return changes
  }
}

/** The attributes every write sets: its time, and the feed index's partition. */
function changed (): { feed: string, updated_at: string } {
  return { feed: FEED_PARTITION, updated_at: new Date().toISOString() }
}

function tombstone (filename: string, deletedAt: string): Record<string, unknown> {
  return { filename, status: Status.deleted, deleted_at: deletedAt, ...changed() }
}

/** The API's view of an item: without the attributes that exist for indexing, ordering and expiry. */
function asRecord (item: Record<string, unknown>): StoredRecord {
  const { listing: _listing, sequencer: _sequencer, feed: _feed, [TTL_ATTRIBUTE]: _expires, ...record } = item
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
