// S3 event notifications built from a listed object, to re-drive processing the way S3 would have.
import { encodeEventKey } from './s3-event-key.ts'

/** An object as ListObjectsV2 describes it. */
export interface StoredObjectSummary {
  key: string
  size: number
  etag: string
  lastModified: Date
}

/**
 * An `ObjectCreated:Put` event for an object that is already stored. It has no sequencer (its place in the
 * key's history is unknown), so the records it leads to are written unconditionally.
 */
export function objectCreatedEvent (bucket: string, region: string, object: StoredObjectSummary) {
  return {
    Records: [{
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: region,
      eventTime: object.lastModified.toISOString(),
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'reconcile',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeEventKey(object.key), size: object.size, eTag: object.etag }
      }
    }]
  }
}
