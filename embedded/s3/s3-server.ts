// The embedded S3: the subset of the REST API this product and the aws CLI use, path-style, for the configured
// bucket(s) only. Every request is signature-checked; every failure is answered in S3's XML error format.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import * as bucketHandlers from './bucket-handlers.ts'
import type { Bucket, BucketContext, Context } from './context.ts'
import { corsHeaders, preflight } from './cors.ts'
import { errorDocument, errors, S3Error } from './errors.ts'
import { s3Event, type RawS3Event } from './events.ts'
import { TempFiles } from './files.ts'
import { importS3rverStore } from './legacy-import.ts'
import * as multipart from './multipart-handlers.ts'
import { MultipartStore } from './multipart-store.ts'
import * as objectHandlers from './object-handlers.ts'
import { ObjectStore, type ChangeListener } from './object-store.ts'
import { parseRequest, sendEmpty, type S3Request } from './request.ts'
import { AuthError, SigV4Verifier, type Credentials } from './sigv4.ts'

export interface S3ServerOptions {
  dataDir: string
  buckets: string[]
  region: string
  credentials: Credentials
  /** Browser origins that may PUT objects (CORS). */
  corsOrigins: string[]
  onEvent: (event: RawS3Event) => void
  /** Unexpected errors (answered with 500 InternalError). */
  log: (message: string, err: unknown) => void
}

export interface S3Server {
  handle: (req: IncomingMessage, res: ServerResponse) => void
  close: () => void
}

/** Multipart uploads not completed within a day are removed, at start and every hour. */
const UPLOAD_EXPIRY_MS = 24 * 3600 * 1000
const EXPIRY_INTERVAL_MS = 3600 * 1000

/** Query parameters each kind of request understands besides the signature's (X-Amz-*) and the SDK's x-id. */
const BUCKET_PARAMS = new Set(['list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'encoding-type',
  'fetch-owner', 'marker', 'location', 'uploads', 'max-uploads', 'key-marker', 'upload-id-marker', 'delete'])
const OBJECT_PARAMS = new Set(['uploads', 'uploadId', 'partNumber', 'max-parts', 'part-number-marker'])

function understood (request: S3Request): boolean {
  const known = request.key === undefined ? BUCKET_PARAMS : OBJECT_PARAMS
  return request.query.every(([name]) => known.has(name) || /^x-amz-/i.test(name) || name === 'x-id' || name.startsWith('response-'))
}

/** Opens each bucket's store (importing an older s3rver store once) and returns the request handler. */
export async function startS3Server (options: S3ServerOptions): Promise<S3Server> {
  const root = join(options.dataDir, 's3-store')
  const temp = new TempFiles(join(root, 'tmp'))
  await temp.reset()
  let announcing = false
  const buckets = new Map<string, Bucket>()
  for (const name of options.buckets) {
    const announce: ChangeListener = change => {
      if (!announcing) return
      const event = change.type === 'put'
        ? s3Event(change.event, name, options.region, { key: change.object.key, size: change.object.size, etag: change.object.etag, sequencer: change.object.sequencer, time: change.object.lastModified })
        : s3Event('ObjectRemoved:Delete', name, options.region, { key: change.key, sequencer: change.sequencer })
      try {
        options.onEvent(event)
      } catch (err) {
        options.log('delivering an S3 event failed', err)
      }
    }
    const objects = await ObjectStore.open(join(root, name, 'objects'), temp, announce)
    const uploads = await MultipartStore.open(join(root, name, 'uploads'), temp)
    await importS3rverStore(join(options.dataDir, 's3'), name, objects, temp)
    buckets.set(name, { name, region: options.region, objects, uploads, temp })
  }
  const expire = async () => {
    for (const bucket of buckets.values()) await bucket.uploads.expire(new Date(Date.now() - UPLOAD_EXPIRY_MS))
  }
  await expire()
  const timer = setInterval(() => { expire().catch(err => options.log('removing abandoned multipart uploads failed', err)) }, EXPIRY_INTERVAL_MS)
  timer.unref()
  announcing = true

  const verifier = new SigV4Verifier(options.credentials, 's3')
  const created = new Date().toISOString()

  async function serve (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(8).toString('hex').toUpperCase()
    res.setHeader('x-amz-request-id', requestId)
    try {
      const request = parseRequest(req, res)
      if (request.method === 'OPTIONS') return preflight(request, options.corsOrigins)
      corsHeaders(request, options.corsOrigins)
      if (!SigV4Verifier.isSigned({ ...request, path: request.rawPath, headers: req.headers })) throw errors.accessDenied()
      const auth = await verifier.verify({ method: request.method, path: request.rawPath, query: request.query, headers: req.headers }).catch((err: unknown) => {
        throw err instanceof AuthError ? new S3Error(err.code, AUTH_STATUS[err.code] ?? 403, err.message) : err
      })
      if (request.bucket === undefined) {
        if (request.method !== 'GET') throw errors.methodNotAllowed(request.method)
        return bucketHandlers.listBuckets(res, [...buckets.values()], created)
      }
      const bucket = buckets.get(request.bucket)
      if (bucket === undefined) {
        if (request.method === 'PUT' && request.key === undefined) {
          throw errors.accessDenied(`This embedded S3 serves only ${options.buckets.join(', ')}; it does not create other buckets.`)
        }
        throw errors.noSuchBucket(request.bucket)
      }
      if (!understood(request)) throw errors.notImplemented()
      await (request.key === undefined
        ? bucketRoute(request.method, request.params)({ request, bucket, auth })
        : objectRoute(request)({ request: { ...request, key: request.key }, bucket, auth }))
    } catch (err) {
      fail(req, res, err, requestId, options.log)
    }
  }

  return {
    handle: (req, res) => { serve(req, res).catch(err => options.log('answering an S3 request failed', err)) },
    close: () => { clearInterval(timer) }
  }
}

const AUTH_STATUS: Record<string, number> = { AuthorizationHeaderMalformed: 400, AuthorizationQueryParametersError: 400, InvalidRequest: 400 }

function bucketRoute (method: string, params: Map<string, string>): (context: BucketContext) => Promise<void> {
  switch (method) {
    case 'GET':
      if (params.has('location')) return bucketHandlers.getBucketLocation
      if (params.has('uploads')) return multipart.listMultipartUploads
      if (params.get('list-type') === '2') return bucketHandlers.listObjectsV2
      if (!params.has('list-type')) return bucketHandlers.listObjects
      throw errors.invalidArgument('Invalid list type', 'list-type', params.get('list-type'))
    case 'HEAD': return bucketHandlers.headBucket
    case 'PUT': return bucketHandlers.createBucket
    case 'POST':
      if (params.has('delete')) return objectHandlers.deleteObjects
      throw errors.notImplemented()
    default: throw errors.methodNotAllowed(method)
  }
}

function objectRoute (request: S3Request): (context: Context) => Promise<void> {
  const { method, params } = request
  switch (method) {
    case 'PUT':
      if (request.req.headers['x-amz-copy-source'] !== undefined) throw errors.notImplemented()
      if (params.has('uploadId')) return multipart.uploadPart
      return objectHandlers.putObject
    case 'GET':
    case 'HEAD':
      if (params.has('partNumber')) throw errors.notImplemented()
      if (params.has('uploadId') && method === 'GET') return multipart.listParts
      return objectHandlers.getObject
    case 'DELETE':
      return params.has('uploadId') ? multipart.abortMultipartUpload : objectHandlers.deleteObject
    case 'POST':
      if (params.has('uploads')) return multipart.createMultipartUpload
      if (params.has('uploadId')) return multipart.completeMultipartUpload
      throw errors.notImplemented()
    default: throw errors.methodNotAllowed(method)
  }
}

/** Answers `err` as S3 would; anything not an S3Error is a bug, logged and answered 500 InternalError. */
function fail (req: IncomingMessage, res: ServerResponse, err: unknown, requestId: string, log: S3ServerOptions['log']): void {
  // A client that went away mid-request (an aborted upload) gets no answer and is no error of ours.
  if (req.destroyed && !req.complete) return
  let error = err instanceof S3Error ? err : undefined
  if (error === undefined) {
    log('S3 request failed', err)
    error = errors.internal()
  }
  if (res.headersSent) {
    res.destroy()
    return
  }
  // An unread body is not worth reading: close the connection after the answer.
  if (!req.complete) res.setHeader('connection', 'close')
  if (req.method === 'HEAD') return sendEmpty(res, error.status, { 'x-amz-error-code': error.code })
  const body = errorDocument(error, (req.url ?? '/').split('?')[0]!, requestId)
  res.writeHead(error.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body)
}
