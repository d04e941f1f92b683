// What every S3 handler works with: the request, its verified signature, and the bucket's stores.
import type { TempFiles } from './files.ts'
import type { MultipartStore } from './multipart-store.ts'
import type { ObjectStore } from './object-store.ts'
import type { S3Request } from './request.ts'
import type { Authenticated } from './sigv4.ts'

export interface Bucket {
  name: string
  region: string
  objects: ObjectStore
  uploads: MultipartStore
  temp: TempFiles
}

export interface Context {
  request: S3Request & { key: string }
  bucket: Bucket
  auth: Authenticated
}

export type BucketContext = Omit<Context, 'request'> & { request: S3Request }

/** S3's single-PUT and part size limit. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 3

/** Largest XML request body (DeleteObjects with 1,000 long keys, CompleteMultipartUpload with 10,000 parts). */
export const MAX_XML_BYTES = 2 * 1024 * 1024
