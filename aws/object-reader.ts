// Opens an S3 object as a byte stream for processObject (one GetObject, or byte ranges in parallel), turning "it is
// gone" into a verdict and "it was replaced while it was read" into an error that has the event retried.
import { GetObjectCommand, NoSuchKey, S3ServiceException, type S3Client } from '@aws-sdk/client-s3'
import { ErrorCode, ProcessingError } from '../shared/processing-error.ts'
import type { StoredObject } from '../shared/process-object.ts'
import { unquotedEtag } from '../shared/s3-object.ts'
import { readRanges, type RangedReads } from './ranged-reader.ts'

/** One GetObject stream for the whole object. */
export const ONE_STREAM: RangedReads = { rangeBytes: Number.MAX_SAFE_INTEGER, concurrency: 1 }

/**
 * The object stopped being the version being read (S3's 412 PreconditionFailed to If-Match). Not a verdict on the
 * file: processObject rethrows it, so the event is retried (and the new version's own event processes that one).
 */
export class ObjectReplacedError extends Error {
  override name = 'ObjectReplacedError'
}

/**
 * Opens the object: with `reads.concurrency` above 1, in ranges of `reads.rangeBytes` (./ranged-reader.ts), else
 * as one stream. With `etag`, fails unless the object is still that version.
 */
export async function readObject (s3: S3Client, bucket: string, key: string, etag?: string, reads: RangedReads = ONE_STREAM): Promise<StoredObject> {
  try {
    if (reads.concurrency > 1) {
      const stored = await readRanges(s3, bucket, key, etag, reads)
      return { ...stored, body: readFailuresOf(stored.body, bucket, key, stored.etag) }
    }
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }))
    return {
      body: response.Body as AsyncIterable<Uint8Array>,
      etag: response.ETag ?? '',
      size: response.ContentLength ?? 0
    }
  } catch (err) {
    throw readFailure(err, bucket, key, etag)
  }
}

/** The ranged body, its later ranges' S3 errors turned into the product's. */
async function * readFailuresOf (body: AsyncIterable<Uint8Array>, bucket: string, key: string, etag: string): AsyncGenerator<Uint8Array> {
  try {
    yield * body
  } catch (err) {
    throw readFailure(err, bucket, key, etag)
  }
}

function readFailure (err: unknown, bucket: string, key: string, etag: string | undefined): unknown {
  if (err instanceof NoSuchKey) {
    return new ProcessingError(ErrorCode.objectMissing, `s3://${bucket}/${key} no longer exists; it was deleted before it could be read.`)
  }
  if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 412) {
    return new ObjectReplacedError(`s3://${bucket}/${key} was replaced while it was read (it is no longer the version with ETag ${unquotedEtag(etag ?? '?')}); the event is retried`, { cause: err })
  }
  return err
}
