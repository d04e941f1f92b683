// S3 event notifications as S3 delivers them: URL-encoded keys, size and ETag, and a per-key sequencer.
import { randomBytes } from 'node:crypto'
import { encodeEventKey } from '../../shared/s3-event-key.ts'

/** An S3 event notification (one record). */
export interface RawS3Event {
  Records: Array<{
    eventName: string
    eventTime: string
    s3: { s3SchemaVersion?: string, configurationId?: string, bucket: { name: string, arn: string, ownerIdentity?: { principalId: string } }, object: { key: string, size?: number, eTag?: string, sequencer: string } }
    [field: string]: unknown
  }>
}

export type EventName = 'ObjectCreated:Put' | 'ObjectCreated:CompleteMultipartUpload' | 'ObjectRemoved:Delete'

let last = 0n

/**
 * The next sequencer: 16 hex digits, the time in milliseconds shifted left 16 bits, plus one when needed, so each
 * is larger than every earlier one of this process (hence of its key) even within a millisecond, and than any of
 * an earlier run while the clock moves forward. One width, so S3's string comparison orders them.
 */
export function nextSequencer (): string {
  const now = BigInt(Date.now()) << 16n
  last = now > last ? now : last + 1n
  return last.toString(16).toUpperCase().padStart(16, '0')
}

export interface EventObject { key: string, size?: number, etag?: string, sequencer: string, time?: string }

/** One record as S3 would deliver it for `eventName` on `object` of `bucket`. */
export function s3Event (eventName: EventName, bucket: string, region: string, object: EventObject): RawS3Event {
  return {
    Records: [{
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: region,
      eventTime: object.time ?? new Date().toISOString(),
      eventName,
      userIdentity: { principalId: 'AWS:EMBEDDED' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(), 'x-amz-id-2': randomBytes(32).toString('base64') },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'embedded',
        bucket: { name: bucket, ownerIdentity: { principalId: 'EMBEDDED' }, arn: `arn:aws:s3:::${bucket}` },
        object: {
          key: encodeEventKey(object.key),
          ...(object.size === undefined ? {} : { size: object.size }),
          ...(object.etag === undefined ? {} : { eTag: object.etag }),
          sequencer: object.sequencer
        }
      }
    }]
  }
}
