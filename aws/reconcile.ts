// Compares the bucket with the table: which objects lack metadata, have stale or stuck metadata, and which
// records describe objects that no longer exist. `npm run reconcile` and the embedded stack's start act on it.
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3'
import { isExpiredUpload, isRecordObjectKey, Status } from '../shared/file-record.ts'
import type { StoredObjectSummary } from '../shared/s3-events.ts'
import type { MetadataTable, RecordSummary } from './metadata-table.ts'
import { unquotedEtag } from '../shared/s3-object.ts'

export type DriftReason = 'missing' | 'stale' | 'stuck' | 'orphan'

export interface Drift {
  key: string
  reason: DriftReason
  /** The object as listed (absent for an orphan record). */
  object?: StoredObjectSummary
}

export interface DriftOptions {
  s3: S3Client
  table: MetadataTable
  bucket: string
  /** A record still `processing` for a file uploaded before this is stuck. */
  stuckBefore: Date
}

/**
 * Lists the bucket and scans the table (both paginated; the table's key facts are held in memory, about
 * 100 bytes a file) and returns every difference, leaving out the service's own objects under .metadata/:
 * - missing: an object with no record (or only a tombstone);
 * - stale: the record's ETag is not the object's;
 * - stuck: the record is still `processing` though the upload is older than `stuckBefore`;
 * - orphan: a record whose object no longer exists.
 */
export async function findDrift ({ s3, table, bucket, stuckBefore }: DriftOptions): Promise<Drift[]> {
  const records = new Map<string, RecordSummary>()
  for await (const record of table.scanSummaries()) records.set(record.filename, record)

  const drift: Drift[] = []
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
    for (const listed of page.Contents ?? []) {
      if (isRecordObjectKey(listed.Key!)) continue
      const object: StoredObjectSummary = {
        key: listed.Key!,
        size: listed.Size ?? 0,
        etag: unquotedEtag(listed.ETag ?? ''),
        lastModified: listed.LastModified ?? new Date(0)
      }
      const record = records.get(object.key)
      records.delete(object.key)
      const reason = driftOf(object, record, stuckBefore)
      if (reason !== undefined) drift.push({ key: object.key, reason, object })
    }
  }
  for (const record of records.values()) {
    // An upload URL still valid has no object yet, and is no orphan.
    const pending = record.status === Status.uploading && !isExpiredUpload(record)
    if (record.status !== Status.deleted && !pending) drift.push({ key: record.filename, reason: 'orphan' })
  }
  return drift
}

function driftOf (object: StoredObjectSummary, record: RecordSummary | undefined, stuckBefore: Date): DriftReason | undefined {
  if (record === undefined || record.status === Status.deleted) return 'missing'
  if (record.etag !== object.etag) return 'stale'
  if (record.status === Status.processing && Date.parse(record.upload_timestamp ?? '') < stuckBefore.getTime()) return 'stuck'
  return undefined
}

export interface ReconcileActions {
  /** Processes the object again, as if S3 had just sent its ObjectCreated event. */
  redrive: (object: StoredObjectSummary) => Promise<void>
  /** Marks a record whose object is gone as deleted. */
  forget: (key: string) => Promise<void>
}

export interface ReconcileResult {
  drift: Drift[]
  failures: Array<{ key: string, error: string }>
}

/** Finds the drift and repairs each item; running it again right after finds nothing to do. */
export async function reconcile (options: DriftOptions, actions: ReconcileActions): Promise<ReconcileResult> {
  const drift = await findDrift(options)
  const failures: ReconcileResult['failures'] = []
  for (const item of drift) {
    try {
      if (item.object === undefined) await actions.forget(item.key)
      else await actions.redrive(item.object)
    } catch (err) {
      failures.push({ key: item.key, error: err instanceof Error ? err.message : String(err) })
    }
  }
  return { drift, failures }
}
