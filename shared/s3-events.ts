// S3 event notification records as S3 shapes them (the key URL-encoded, the bucket's ARN): for the embedded S3's
// notifications, and for re-driving a listed object the way S3 would have.
import { encodeEventKey } from './s3-event-key.ts'

/** An object as ListObjectsV2 describes it. */
export interface StoredObjectSummary {
  key: string
  size: number
  etag: string
  lastModified: Date
}

/** What a record says of its object; `time` is the eventTime. */
export interface EventObject { key: string, size?: number, etag?: string, sequencer?: string, time: string }

/** One record of an S3 event notification for `eventName` on `object` of `bucket`. */
export function s3EventRecord (eventName: string, bucket: string, region: string, object: EventObject, configurationId: string) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: object.time,
    eventName,
    s3: {
      s3SchemaVersion: '1.0',
      configurationId,
      bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key: encodeEventKey(object.key),
        ...(object.size === undefined ? {} : { size: object.size }),
        ...(object.etag === undefined ? {} : { eTag: object.etag }),
        ...(object.sequencer === undefined ? {} : { sequencer: object.sequencer })
      }
    }
  }
}

/**
 * An `ObjectCreated:Put` event for an object that is already stored. It has no sequencer (its place in the
 * key's history is unknown), so the records it leads to are written unconditionally.
 */
export function objectCreatedEvent (bucket: string, region: string, object: StoredObjectSummary) {
  const { key, size, etag, lastModified } = object
  return { Records: [s3EventRecord('ObjectCreated:Put', bucket, region, { key, size, etag, time: lastModified.toISOString() }, 'reconcile')] }
}
