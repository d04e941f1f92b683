// CORS for the configured browser origins: a page may PUT an object to a presigned URL (and create or complete a
// multipart upload with POST) and read the ETag back; nothing else, and never with credentials.
import type { S3Request } from './request.ts'
import { header } from './request.ts'
import { S3Error } from './errors.ts'

const MAX_AGE_SECONDS = 3000

/** The methods a page may use on this target: PUT objects and parts, POST only to create or complete an upload. */
function allowedMethods (request: S3Request): string[] {
  if (request.key === undefined) return []
  return request.params.has('uploads') || request.params.has('uploadId') ? ['PUT', 'POST'] : ['PUT']
}

/** CORS_ORIGINS is a list of origins, or `*` for any (as S3's AllowedOrigin `*`). */
function allows (origins: string[], origin: string): boolean {
  return origins.includes('*') || origins.includes(origin)
}

/** Answers a preflight OPTIONS request: 200 with the allowed method and headers, or 403 as S3 does. */
export function preflight (request: S3Request, origins: string[]): void {
  const origin = header(request.req, 'origin')
  const method = header(request.req, 'access-control-request-method')
  const methods = allowedMethods(request)
  if (origin === undefined || method === undefined) {
    throw new S3Error('BadRequest', 400, 'Insufficient information. Origin request header needed.')
  }
  if (!allows(origins, origin) || !methods.includes(method)) {
    throw new S3Error('AccessForbidden', 403, 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.', { Method: method, ResourceType: 'OBJECT' })
  }
  const requested = header(request.req, 'access-control-request-headers')
  request.res.writeHead(200, {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': methods.join(', '),
    ...(requested === undefined ? {} : { 'access-control-allow-headers': requested }),
    'access-control-expose-headers': 'ETag',
    'access-control-max-age': String(MAX_AGE_SECONDS),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    'content-length': '0'
  }).end()
}

/** Adds the CORS headers to an actual request from an allowed origin with an allowed method. */
export function corsHeaders (request: S3Request, origins: string[]): void {
  const origin = header(request.req, 'origin')
  if (origin === undefined) return
  request.res.setHeader('vary', 'Origin')
  if (allows(origins, origin) && allowedMethods(request).includes(request.method)) {
    request.res.setHeader('access-control-allow-origin', origin)
    request.res.setHeader('access-control-expose-headers', 'ETag')
  }
}
