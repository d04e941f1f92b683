// The event a verdict publishes (EventBridge on AWS, LocalStack and the embedded stack): its source, detail types
// and detail, and how a subscriber (the webhook sender) reads it back.
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import { Status, type FileMetadata } from './file-record.ts'

/** The `source` of every event the processor publishes. */
export const VERDICT_EVENT_SOURCE = 'csv-metadata'

/** The `detail-type` of each final status. */
export const VerdictDetailType = {
  processed: 'File processed',
  failed: 'File failed'
} as const

export type VerdictDetailType = typeof VerdictDetailType[keyof typeof VerdictDetailType]

/**
 * Largest detail published, in bytes of JSON. EventBridge takes at most 256 KB per entry (source, detail type and
 * detail together); a record larger than this (thousands of columns) is published without its column_names,
 * warnings and columns, marked `details_omitted`, as GET /files lists such a record.
 */
export const MAX_DETAIL_BYTES = 200 * 1024

/** The port the processor publishes through, once a verdict is written; a rejection means "not published". */
export type PublishVerdict = (record: FileMetadata) => Promise<void>

/** What to publish for a final record: source, detail type, the detail (the record as JSON) and the event time. */
export interface VerdictEvent {
  source: typeof VERDICT_EVENT_SOURCE
  detailType: VerdictDetailType
  detail: string
  time: Date
}

/** The event of a final (processed or failed) record; throws for any other status, which is never published. */
export function verdictEvent (record: FileMetadata): VerdictEvent {
  if (record.status !== Status.processed && record.status !== Status.failed) {
    throw new Error(`only a final record is published, not one with status ${record.status}`)
  }
  return {
    source: VERDICT_EVENT_SOURCE,
    detailType: VerdictDetailType[record.status],
    detail: JSON.stringify(publishedRecord(record)),
    time: new Date(record.processed_at ?? Date.now())
  }
}

/** The record as published: whole, or without its lists when it would not fit in an event. */
export function publishedRecord (record: FileMetadata): FileMetadata {
  if (Buffer.byteLength(JSON.stringify(record)) <= MAX_DETAIL_BYTES) return record
  const { column_names: _names, warnings: _warnings, columns: _columns, ...rest } = record
  return { ...rest, details_omitted: true }
}

/** The fields of a bus event a subscriber reads (EventBridge's shape: `detail-type`, `source`, `detail`). */
const BusEvent = Compile(Type.Object({
  source: Type.Literal(VERDICT_EVENT_SOURCE),
  'detail-type': Type.Enum(Object.values(VerdictDetailType)),
  detail: Type.Object({
    filename: Type.String({ minLength: 1 }),
    upload_timestamp: Type.String(),
    etag: Type.String(),
    status: Type.Enum([Status.processed, Status.failed])
  })
}))

/** The record a verdict event carries, or undefined (with why) when the event is not one. */
export function recordOfEvent (event: unknown): { record: FileMetadata } | { reason: string } {
  if (BusEvent.Check(event)) return { record: event.detail as FileMetadata }
  const [first] = BusEvent.Errors(event)
  return { reason: `${first?.instancePath || 'the event'} ${first?.message ?? 'is not a verdict event'}` }
}
