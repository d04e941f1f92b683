// The processing use case, as a function of its ports: what one ObjectCreated or ObjectRemoved event does.
import type { FileProfile } from './column-profile.ts'
import { extractCsvMetadata, type CsvMetadata, type Profiler } from './csv-metadata.ts'
import { processingRecord, verdictRecord, type FileMetadata, type UploadedObject } from './file-record.ts'
import type { ExtractLimits } from './limits.ts'
import type { Logger } from './logger.ts'
import { ProcessingError } from './processing-error.ts'
import type { PublishVerdict } from './verdict-event.ts'

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
  /** Keeps the whole profile of the record's version (its filename and ETag), where the API can read it. */
  saveProfile: (record: FileMetadata, profile: FileProfile) => Promise<void>
  /**
   * Deletes what was kept for the file's versions other than `keep` (all of them, without it) last modified
   * before `before`; resolves to how many objects it deleted.
   */
  pruneVersions: (filename: string, keep: string | undefined, before: Date) => Promise<number>
  /**
   * Publishes a final record once it is written (./verdict-event.ts). A rejection fails the event, which is then
   * redelivered and processed again: the write is idempotent, and the verdict is published at least once.
   */
  publishVerdict: PublishVerdict
  logger: Logger
  limits: ExtractLimits
  /** Threads that profile pieces of a file while this one counts its rows (./csv-pieces.ts); none: one thread does both. */
  profiler?: Profiler
}

export interface CreatedObject extends UploadedObject {
  bucket: string
  /** The event's place in the key's history (./sequencer.ts); undefined when unknown. */
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
 * anything that prevents recording or publishing a verdict (S3, DynamoDB or the event bus unreachable) rejects, so
 * the invocation is retried. Resolves to undefined when a newer event for the same key had already been recorded: a
 * late event is a no-op, and publishes nothing.
 */
export async function processObject (deps: ProcessDeps, object: CreatedObject): Promise<FileMetadata | undefined> {
  const started = Date.now()
  const where = { bucket: object.bucket, key: object.key }
  const base = processingRecord(object)
  if (!await deps.saveRecord(base, object.orderingKey)) {
    deps.logger.info(where, 'event ignored: a newer one for this key was already recorded')
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
    const { profile, ...metadata }: CsvMetadata & { profile?: FileProfile } = await extractCsvMetadata(open, deps.limits, deps.profiler)
    record = verdictRecord(base, { metadata, profile, etag: stored.etag, size: stored.size })
    // Before the verdict: a processed record's profile is always there to read.
    if (profile !== undefined) await deps.saveProfile(record, profile)
  } catch (err) {
    if (!(err instanceof ProcessingError)) throw err
    record = verdictRecord(base, err)
  }
  if (!await deps.saveRecord(record, object.orderingKey)) {
    deps.logger.info(where, 'result dropped: the file was replaced or deleted while it was read')
    return undefined
  }
  const durationMs = Date.now() - started
  deps.logger.info({
    ...where,
    status: record.status,
    row_count: record.row_count,
    column_count: record.column_count,
    error: record.error,
    duration_ms: durationMs
  }, record.error === undefined
    ? `processed ${object.key}: ${record.row_count} rows, ${record.column_count} columns in ${durationMs} ms`
    : `failed ${object.key}: ${record.error.code} — ${record.error.message}`)
  try {
    await deps.publishVerdict(record)
  } catch (err) {
    throw new Error(`the verdict on ${object.key} was recorded but not published (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)})`, { cause: err })
  }
  // Every version written before this one's event was handled is replaced by it.
  await pruneReplaced(deps, object.key, record.etag, started)
  return record
}

/**
 * Objects of another version count as replaced when they were last modified this long before the event that
 * replaced them was handled: S3 keeps their time in whole seconds, and clocks differ a little. A version kept for
 * being too recent is deleted with the next one.
 */
const PRUNE_MARGIN_MS = 5000

/** Deletes the record and profile objects of the file's replaced versions; a failure is logged, not thrown. */
async function pruneReplaced (deps: ProcessDeps, key: string, keep: string | undefined, since: number): Promise<void> {
  try {
    const deleted = await deps.pruneVersions(key, keep, new Date(since - PRUNE_MARGIN_MS))
    if (deleted > 0) deps.logger.info({ key, deleted }, `deleted ${deleted} objects of replaced versions of ${key}`)
  } catch (err) {
    deps.logger.warn({ key, err }, `the objects of replaced versions of ${key} were not deleted; the next version of the file deletes them`)
  }
}

/** Records that an object was deleted, so the API stops reporting it. */
export async function removeObject (deps: ProcessDeps, object: RemovedObject): Promise<void> {
  const applied = await deps.markDeleted(object.key, new Date(object.eventTime).toISOString(), object.orderingKey)
  deps.logger.info({ bucket: object.bucket, key: object.key }, applied
    ? `deleted ${object.key}`
    : 'event ignored: a newer one for this key was already recorded')
  if (applied) await pruneReplaced(deps, object.key, undefined, Date.parse(object.eventTime))
}
