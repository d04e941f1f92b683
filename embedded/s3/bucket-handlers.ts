// The bucket's own requests: ListObjectsV2 and ListObjects, HeadBucket, GetBucketLocation, CreateBucket, ListBuckets.
import type { ServerResponse } from 'node:http'
import { encodeEventKey } from '../../shared/s3-event-key.ts'
import type { Bucket, BucketContext } from './context.ts'
import { errors } from './errors.ts'
import { integerParam } from './multipart-handlers.ts'
import type { Listing, ListOptions } from './object-store.ts'
import { sendEmpty, sendXml, type S3Request } from './request.ts'
import { xmlElement, xmlDocument } from './xml.ts'

/** The listing parameters both versions share; `encode` applies encoding-type=url. */
function listingParams (request: S3Request) {
  const encodingType = request.params.get('encoding-type')
  if (encodingType !== undefined && encodingType !== 'url') throw errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType)
  const encode = (text: string) => encodingType === 'url' ? encodeEventKey(text) : text
  return {
    prefix: request.params.get('prefix') ?? '',
    delimiter: request.params.get('delimiter') ?? '',
    maxKeys: integerParam(request.params.get('max-keys'), 'max-keys', 0, 2_147_483_647, 1000),
    encodingType,
    encode
  }
}

function listingBody (listing: Listing, encode: (text: string) => string): string[] {
  return [
    ...listing.contents.map(object => xmlElement('Contents', [
      xmlElement('Key', encode(object.key)), xmlElement('LastModified', object.lastModified),
      xmlElement('ETag', `"${object.etag}"`), xmlElement('Size', object.size), xmlElement('StorageClass', 'STANDARD')
    ])),
    ...listing.commonPrefixes.map(prefix => xmlElement('CommonPrefixes', [xmlElement('Prefix', encode(prefix))]))
  ]
}

/** Continuation tokens are opaque to clients: the last key or common prefix of the page, base64url. */
function token (last: NonNullable<Listing['last']>): string {
  return Buffer.from('key' in last ? `k${last.key}` : `p${last.commonPrefix}`).toString('base64url')
}

function fromToken (text: string): NonNullable<ListOptions['after']> {
  const decoded = /^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, 'base64url').toString('utf8') : ''
  if (decoded.startsWith('k') && decoded.length > 1) return { key: decoded.slice(1) }
  if (decoded.startsWith('p') && decoded.length > 1) return { commonPrefix: decoded.slice(1) }
  throw errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', text)
}

export async function listObjectsV2 ({ request, bucket }: BucketContext): Promise<void> {
  const { prefix, delimiter, maxKeys, encodingType, encode } = listingParams(request)
  const continuation = request.params.get('continuation-token')
  const startAfter = request.params.get('start-after')
  const after = continuation !== undefined ? fromToken(continuation) : startAfter === undefined ? undefined : { key: startAfter }
  const listing = bucket.objects.list({ prefix, delimiter, maxKeys: Math.min(maxKeys, 1000), ...(after === undefined ? {} : { after }) })
  sendXml(request.res, 'ListBucketResult', [
    xmlElement('Name', bucket.name),
    xmlElement('Prefix', encode(prefix)),
    ...(startAfter === undefined ? [] : [xmlElement('StartAfter', encode(startAfter))]),
    ...(continuation === undefined ? [] : [xmlElement('ContinuationToken', continuation)]),
    xmlElement('KeyCount', listing.contents.length + listing.commonPrefixes.length),
    xmlElement('MaxKeys', maxKeys),
    ...(delimiter === '' ? [] : [xmlElement('Delimiter', encode(delimiter))]),
    ...(encodingType === undefined ? [] : [xmlElement('EncodingType', encodingType)]),
    xmlElement('IsTruncated', listing.truncated),
    ...(listing.truncated && listing.last !== undefined ? [xmlElement('NextContinuationToken', token(listing.last))] : []),
    ...listingBody(listing, encode)
  ])
}

/** ListObjects (version 1): a marker past a rolled-up common prefix skips every key under it. */
export async function listObjects ({ request, bucket }: BucketContext): Promise<void> {
  const { prefix, delimiter, maxKeys, encodingType, encode } = listingParams(request)
  const marker = request.params.get('marker') ?? ''
  const cut = delimiter === '' || !marker.startsWith(prefix) ? -1 : marker.indexOf(delimiter, prefix.length)
  const after = marker === '' ? undefined : cut >= 0 ? { commonPrefix: marker.slice(0, cut + delimiter.length) } : { key: marker }
  const listing = bucket.objects.list({ prefix, delimiter, maxKeys: Math.min(maxKeys, 1000), ...(after === undefined ? {} : { after }) })
  const last = listing.last === undefined ? undefined : 'key' in listing.last ? listing.last.key : listing.last.commonPrefix
  sendXml(request.res, 'ListBucketResult', [
    xmlElement('Name', bucket.name),
    xmlElement('Prefix', encode(prefix)),
    xmlElement('Marker', encode(marker)),
    ...(listing.truncated && delimiter !== '' && last !== undefined ? [xmlElement('NextMarker', encode(last))] : []),
    xmlElement('MaxKeys', maxKeys),
    ...(delimiter === '' ? [] : [xmlElement('Delimiter', encode(delimiter))]),
    ...(encodingType === undefined ? [] : [xmlElement('EncodingType', encodingType)]),
    xmlElement('IsTruncated', listing.truncated),
    ...listingBody(listing, encode)
  ])
}

export async function headBucket ({ request, bucket }: BucketContext): Promise<void> {
  sendEmpty(request.res, 200, { 'x-amz-bucket-region': bucket.region })
}

export async function getBucketLocation ({ request, bucket }: BucketContext): Promise<void> {
  const body = xmlDocument('LocationConstraint', bucket.region === 'us-east-1' ? [] : [bucket.region.replace(/[^a-z0-9-]/g, '')])
  request.res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body)
}

/** CreateBucket of a configured bucket succeeds (it exists, and is ours); of any other, AccessDenied. */
export async function createBucket ({ request, bucket }: BucketContext): Promise<void> {
  sendEmpty(request.res, 200, { location: `/${bucket.name}` })
}

export function listBuckets (res: ServerResponse, buckets: Bucket[], created: string): void {
  sendXml(res, 'ListAllMyBucketsResult', [
    xmlElement('Owner', [xmlElement('ID', 'embedded'), xmlElement('DisplayName', 'embedded')]),
    xmlElement('Buckets', buckets.map(bucket => xmlElement('Bucket', [xmlElement('Name', bucket.name), xmlElement('CreationDate', created)])))
  ])
}
