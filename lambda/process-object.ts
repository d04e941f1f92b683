// The work of one ObjectCreated event: mark the file processing, extract its metadata, record the verdict.
import { extractCsvMetadata, type ExtractLimits } from '../shared/csv-metadata.ts'
import { Status, type FileMetadata } from '../shared/file-record.ts'
import { ProcessingError } from '../shared/processing-error.ts'
import type { Logger } from './logger.ts'

export interface StoredObject {
  body: AsyncIterable<Uint8Array>
  etag: string
  size: number
}

export interface ProcessDeps {
  /**
   * Opens the object as a byte stream; throws a ProcessingError (object-missing) when it is gone.
   * With `etag`, fails unless the object is still that version.
   */
  readObject: (bucket: string, key: string, etag?: string) => Promise<StoredObject>
  /** Writes the record unless a newer event (by ordering key) wrote it; false when one did. */
  saveRecord: (record: FileMetadata, orderingKey?: string) => Promise<boolean>
  /** Leaves the deleted file's tombstone unless a newer event wrote it; false when one did. */
  markDeleted: (key: string, deletedAt: string, orderingKey?: string) => Promise<boolean>
  logger: Logger
  limits: ExtractLimits
}

export interface CreatedObject {
  bucket: string
  key: string
  /** When S3 received the object (the event's eventTime). */
  eventTime: string
  size: number
  etag: string
  /** The event's place in the key's history (../shared/sequencer.ts); undefined when unknown. */
  orderingKey?: string | undefined
}

export interface RemovedObject {
  bucket: string
  key: string
  eventTime: string
  orderingKey?: string | undefined
}

/**
 * Processes one created object. A problem with the file's content ends as a `failed` record and resolves;
 * anything that prevents recording a verdict (S3 or DynamoDB unreachable) rejects, so the invocation is retried.
 * Resolves to undefined when a newer event for the same key had already been recorded: a late event is a no-op.
 */
export async function processObject (deps: ProcessDeps, object: CreatedObject): Promise<FileMetadata | undefined> {
  const started = Date.now()
  const base: FileMetadata = {
    filename: object.key,
    upload_timestamp: new Date(object.eventTime).toISOString(),
    file_size_bytes: object.size,
    etag: object.etag.replace(/"/g, ''),
    status: Status.processing
  }
  if (!await deps.saveRecord(base, object.orderingKey)) {
    deps.logger.info('event ignored: a newer one for this key was already recorded', { bucket: object.bucket, key: object.key })
    return undefined
  }

  let record: FileMetadata
  try {
    const stored = await deps.readObject(object.bucket, object.key)
    // The first read streams the body already open; a broken file is read again, same version, for its verdict.
    let opened: StoredObject | undefined = stored
    const open = async () => {
      const body = opened?.body ?? (await deps.readObject(object.bucket, object.key, stored.etag)).body
      opened = undefined
      return body
    }
    const metadata = await extractCsvMetadata(open, deps.limits)
    record = {
      ...base,
      etag: stored.etag.replace(/"/g, ''),
      file_size_bytes: stored.size,
      ...metadata,
      status: Status.processed,
      processed_at: new Date().toISOString()
    }
  } catch (err) {
    if (!(err instanceof ProcessingError)) throw err
    const error = { code: err.code, message: err.message, ...(err.line === undefined ? {} : { line: err.line }) }
    record = { ...base, status: Status.failed, error, processed_at: new Date().toISOString() }
  }
  if (!await deps.saveRecord(record, object.orderingKey)) {
    deps.logger.info('result dropped: the file was replaced or deleted while it was read', { bucket: object.bucket, key: object.key })
    return undefined
  }
  deps.logger.info('file processed', {
    bucket: object.bucket,
    key: object.key,
    status: record.status,
    row_count: record.row_count,
    error: record.error,
    duration_ms: Date.now() - started
  })
  return record
}

/** Records that an object was deleted, so the API stops reporting it. */
export async function removeObject (deps: ProcessDeps, object: RemovedObject): Promise<void> {
  const applied = await deps.markDeleted(object.key, new Date(object.eventTime).toISOString(), object.orderingKey)
  deps.logger.info(applied ? 'file deleted' : 'event ignored: a newer one for this key was already recorded', {
    bucket: object.bucket,
    key: object.key
  })
}
