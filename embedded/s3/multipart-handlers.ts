// Multipart uploads: create, upload a part, list parts, complete (S3's multipart ETag), abort, list uploads.
import { rm } from 'node:fs/promises'
import type { BucketContext, Context } from './context.ts'
import { MAX_OBJECT_BYTES, MAX_XML_BYTES } from './context.ts'
import { errors } from './errors.ts'
import { compareKeys } from './keys.ts'
import { MAX_PARTS } from './multipart-store.ts'
import { openPayload, readPayload } from './payload.ts'
import { header, sendEmpty, sendXml, userMetadata } from './request.ts'
import { parseXml, xmlElement } from './xml.ts'

/** An integer query parameter within bounds, or `fallback` when absent; InvalidArgument otherwise. */
export function integerParam (value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  const number = /^\d{1,10}$/.test(value) ? Number(value) : NaN
  if (!(number >= min && number <= max)) throw errors.invalidArgument(`${name} must be an integer between ${min} and ${max}.`, name, value)
  return number
}

export async function createMultipartUpload ({ request, bucket }: Context): Promise<void> {
  const upload = await bucket.uploads.create(request.key, header(request.req, 'content-type') ?? 'binary/octet-stream', userMetadata(request.req))
  const algorithm = header(request.req, 'x-amz-checksum-algorithm')
  if (algorithm !== undefined) request.res.setHeader('x-amz-checksum-algorithm', algorithm)
  sendXml(request.res, 'InitiateMultipartUploadResult', [
    xmlElement('Bucket', bucket.name), xmlElement('Key', request.key), xmlElement('UploadId', upload.uploadId)
  ])
}

export async function uploadPart ({ request, bucket, auth }: Context): Promise<void> {
  const partNumber = integerParam(request.params.get('partNumber') ?? '', 'partNumber', 1, MAX_PARTS, 0)
  const upload = bucket.uploads.get(request.params.get('uploadId')!, request.key)
  const payload = openPayload(request.req, auth, MAX_OBJECT_BYTES)
  const staged = await bucket.temp.stage(payload.data)
  const { size, md5, checksum } = payload.result
  await bucket.uploads.putPart(upload, partNumber, staged, size, md5).catch(async (err: unknown) => {
    await rm(staged, { force: true })
    throw err
  })
  sendEmpty(request.res, 200, { etag: `"${md5}"`, ...(checksum === undefined ? {} : { [checksum.header]: checksum.value }) })
}

export async function listParts ({ request, bucket }: Context): Promise<void> {
  const upload = bucket.uploads.get(request.params.get('uploadId')!, request.key)
  const maxParts = integerParam(request.params.get('max-parts'), 'max-parts', 0, 2_147_483_647, 1000)
  const marker = integerParam(request.params.get('part-number-marker'), 'part-number-marker', 0, MAX_PARTS, 0)
  const after = [...upload.parts.values()].filter(part => part.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber)
  const page = after.slice(0, Math.min(maxParts, 1000))
  const truncated = page.length < after.length
  sendXml(request.res, 'ListPartsResult', [
    xmlElement('Bucket', bucket.name), xmlElement('Key', request.key), xmlElement('UploadId', upload.uploadId),
    xmlElement('PartNumberMarker', marker),
    xmlElement('NextPartNumberMarker', page.at(-1)?.partNumber ?? 0),
    xmlElement('MaxParts', maxParts), xmlElement('IsTruncated', truncated), xmlElement('StorageClass', 'STANDARD'),
    ...page.map(part => xmlElement('Part', [
      xmlElement('PartNumber', part.partNumber), xmlElement('LastModified', part.lastModified),
      xmlElement('ETag', `"${part.etag}"`), xmlElement('Size', part.size)
    ]))
  ])
}

export async function completeMultipartUpload ({ request, bucket, auth }: Context): Promise<void> {
  const upload = bucket.uploads.get(request.params.get('uploadId')!, request.key)
  const document = parseXml(await readPayload(request.req, auth, MAX_XML_BYTES))?.CompleteMultipartUpload as { Part?: Array<{ PartNumber?: unknown, ETag?: unknown }> } | undefined
  const parts = (document?.Part ?? []).map(part => ({ partNumber: Number(part.PartNumber), etag: String(part.ETag ?? '').trim() }))
  if (document === undefined || parts.length > MAX_PARTS || parts.some(part => !Number.isInteger(part.partNumber) || part.partNumber < 1 || part.etag === '')) throw errors.malformedXml()
  const object = await bucket.uploads.complete(upload, parts, async (staged, size, etag) =>
    await bucket.objects.put(staged, { key: upload.key, size, etag, contentType: upload.contentType, metadata: upload.metadata }, 'ObjectCreated:CompleteMultipartUpload'))
  sendXml(request.res, 'CompleteMultipartUploadResult', [
    xmlElement('Location', `/${bucket.name}/${request.key}`), xmlElement('Bucket', bucket.name),
    xmlElement('Key', request.key), xmlElement('ETag', `"${object.etag}"`)
  ])
}

export async function abortMultipartUpload ({ request, bucket }: Context): Promise<void> {
  await bucket.uploads.abort(bucket.uploads.get(request.params.get('uploadId')!, request.key))
  sendEmpty(request.res, 204)
}

export async function listMultipartUploads ({ request, bucket }: BucketContext): Promise<void> {
  const prefix = request.params.get('prefix') ?? ''
  const maxUploads = integerParam(request.params.get('max-uploads'), 'max-uploads', 0, 2_147_483_647, 1000)
  const keyMarker = request.params.get('key-marker') ?? ''
  const uploadIdMarker = request.params.get('upload-id-marker') ?? ''
  // In key order, then upload id; a page starts after the markers of the previous one.
  const matching = bucket.uploads.list()
    .filter(upload => upload.key.startsWith(prefix))
    .sort((a, b) => compareKeys(a.key, b.key) || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0))
    .filter(upload => {
      const byKey = compareKeys(upload.key, keyMarker)
      return keyMarker === '' || byKey > 0 || (byKey === 0 && uploadIdMarker !== '' && upload.uploadId > uploadIdMarker)
    })
  const page = matching.slice(0, Math.min(maxUploads, 1000))
  sendXml(request.res, 'ListMultipartUploadsResult', [
    xmlElement('Bucket', bucket.name), xmlElement('KeyMarker', keyMarker), xmlElement('UploadIdMarker', uploadIdMarker),
    xmlElement('NextKeyMarker', page.at(-1)?.key ?? ''), xmlElement('NextUploadIdMarker', page.at(-1)?.uploadId ?? ''),
    xmlElement('Prefix', prefix), xmlElement('MaxUploads', maxUploads), xmlElement('IsTruncated', page.length < matching.length),
    ...page.map(upload => xmlElement('Upload', [
      xmlElement('Key', upload.key), xmlElement('UploadId', upload.uploadId),
      xmlElement('StorageClass', 'STANDARD'), xmlElement('Initiated', upload.initiated)
    ]))
  ])
}
