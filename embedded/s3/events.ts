// S3 event notifications as S3 delivers them: URL-encoded keys, size and ETag, and a per-key sequencer.
import { randomBytes } from 'node:crypto'
import { s3EventRecord, type EventObject } from '../../shared/s3-events.ts'

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

/** One record as S3 would deliver it for `eventName` on `object` of `bucket`, with the requester's identity. */
export function s3Event (eventName: EventName, bucket: string, region: string, object: Omit<EventObject, 'time'> & { sequencer: string, time?: string }): RawS3Event {
  const record = s3EventRecord(eventName, bucket, region, { ...object, time: object.time ?? new Date().toISOString() }, 'embedded')
  return {
    Records: [{
      ...record,
      userIdentity: { principalId: 'AWS:EMBEDDED' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(), 'x-amz-id-2': randomBytes(32).toString('base64') },
      s3: {
        ...record.s3,
        bucket: { ...record.s3.bucket, ownerIdentity: { principalId: 'EMBEDDED' } },
        object: { ...record.s3.object, sequencer: object.sequencer }
      }
    }]
  }
}
