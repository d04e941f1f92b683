// Opens an S3 object as a byte stream for processObject, turning "it is gone" into a verdict.
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3'
import { ErrorCode, ProcessingError } from '../shared/processing-error.ts'
import type { StoredObject } from '../shared/process-object.ts'

export async function readObject (s3: S3Client, bucket: string, key: string, etag?: string): Promise<StoredObject> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }))
    return {
      body: response.Body as AsyncIterable<Uint8Array>,
      etag: response.ETag ?? '',
      size: response.ContentLength ?? 0
    }
  } catch (err) {
    if (err instanceof NoSuchKey) {
      throw new ProcessingError(ErrorCode.objectMissing, `s3://${bucket}/${key} no longer exists; it was deleted before it could be read.`)
    }
    throw err
  }
}
