// Records too large for one DynamoDB item (a header of 10,000 long names): the whole record is kept as JSON in the
// bucket under .metadata/, and the item holds the rest of it and a pointer, so every file still gets its verdict.
// A version's objects there (its record, its profile) are deleted once the file is replaced or deleted.
import { createHash } from 'node:crypto'
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { RECORD_OBJECT_PREFIX, type FileMetadata } from '../shared/file-record.ts'
import type { StoredRecord } from './metadata-table.ts'

/** DynamoDB refuses items over 400 KB; a record moves out well before, leaving room for the table's own attributes. */
export const MAX_ITEM_BYTES = 350 * 1024

/**
 * The size DynamoDB counts for `value`, from its published rules, rounded up: UTF-8 bytes of strings and names,
 * at most 21 bytes a number, 3 bytes and 1 an element for lists and maps.
 */
function attributeBytes (value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value)
  if (typeof value === 'number') return 21
  if (Array.isArray(value)) return value.reduce<number>((sum, element) => sum + 1 + attributeBytes(element), 3)
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).reduce<number>((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + attributeBytes(element), 3)
  }
  return 1
}

/** Whether `record` fits in one item, with room to spare. */
export function fitsInItem (record: FileMetadata): boolean {
  const bytes = Object.entries(record).reduce((sum, [name, value]) => value === undefined ? sum : sum + Buffer.byteLength(name) + attributeBytes(value), 0)
  return bytes <= MAX_ITEM_BYTES
}

/**
 * Where the objects of one version of a file go (its record, its profile): a hash of the name (keys are up to
 * 1,024 bytes, too long to prefix) and the version's ETag, so a late event of an older version can never
 * overwrite a newer one's object, and no version is ever answered another's.
 */
export function versionObjectKey (filename: string, etag: string, suffix: string): string {
  return `${versionFolder(filename)}${etag}${suffix}`
}

/** The folder of every version's objects of one file. */
function versionFolder (filename: string): string {
  return `${RECORD_OBJECT_PREFIX}${createHash('sha256').update(filename).digest('hex')}/`
}

/**
 * Deletes the objects of `filename`'s versions other than `keep` (of every version, without it) last modified
 * before `before`: the record and profile of a version replaced or deleted since. Returns how many it deleted; one
 * DeleteObjects request per page of the listing (up to 1,000 keys). Throws when S3 refused to delete any of them.
 */
export async function pruneVersionObjects (s3: S3Client, bucket: string, filename: string, keep: string | undefined, before: Date): Promise<number> {
  const folder = versionFolder(filename)
  let deleted = 0
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, ContinuationToken: token }))
    const replaced = (page.Contents ?? []).filter(({ Key: key, LastModified: modified }) =>
      // `<ETag>.json` or `<ETag>.profile.json`: an ETag has no dot.
      key !== undefined && modified !== undefined && modified < before && key.slice(folder.length).split('.')[0] !== keep)
    if (replaced.length > 0) {
      const { Errors: errors = [] } = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: replaced.map(({ Key }) => ({ Key })), Quiet: true } }))
      deleted += replaced.length - errors.length
      if (errors.length > 0) throw new Error(`S3 did not delete ${errors.length} of ${replaced.length} objects, such as ${errors[0]!.Key}: ${errors[0]!.Code} ${errors[0]!.Message}`)
    }
    token = page.NextContinuationToken
  } while (token !== undefined)
  return deleted
}

export function recordObjectKey (record: FileMetadata): string {
  return versionObjectKey(record.filename, record.etag, '.json')
}

/** Writes the whole record to the bucket and returns the item that points at it, without the large fields. */
export async function putRecordObject (s3: S3Client, bucket: string, record: FileMetadata): Promise<StoredRecord> {
  const key = recordObjectKey(record)
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(record), ContentType: 'application/json' }))
  const { column_names: _names, warnings: _warnings, columns: _columns, ...rest } = record
  return { ...rest, record_object: key }
}

/**
 * The record as the API shows it: an item that points at an object gets its large fields back from it. An object
 * gone missing (someone deleted it) leaves the record marked `details_omitted` rather than failing the request.
 */
export async function completeRecord (s3: S3Client, bucket: string, stored: StoredRecord): Promise<FileMetadata> {
  const { record_object: key, ...record } = stored
  if (key === undefined) return record
  let whole: FileMetadata
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    whole = JSON.parse(await Body!.transformToString()) as FileMetadata
  } catch (err) {
    if (err instanceof NoSuchKey) return { ...record, details_omitted: true }
    throw err
  }
  return { ...record, column_names: whole.column_names, warnings: whole.warnings, ...(whole.columns === undefined ? {} : { columns: whole.columns }) }
}

/** The record as a listing shows it: without fetching anything, its large fields marked as omitted. */
export function listedRecord (stored: StoredRecord): FileMetadata {
  const { record_object: key, ...record } = stored
  return key === undefined ? record : { ...record, details_omitted: true }
}
