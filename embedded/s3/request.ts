// Parses a path-style S3 request (bucket, key, query) from the raw URL, and writes S3's answers.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { errors } from './errors.ts'
import { xmlDocument } from './xml.ts'
import { MAX_KEY_BYTES } from '../../shared/s3-object.ts'

export interface S3Request {
  req: IncomingMessage
  res: ServerResponse
  method: string
  /** The path as sent, percent-encoded: what a signature covers. */
  rawPath: string
  /** Decoded; undefined for the service (GET /). */
  bucket?: string
  /** Decoded, 1-1024 bytes of UTF-8; undefined for bucket requests. */
  key?: string
  /** Decoded query parameters, in order. */
  query: Array<[string, string]>
  params: Map<string, string>
}

function decode (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw errors.invalidUri()
  }
}

/** The request's target; InvalidURI for a URL that is not percent-encoded UTF-8, KeyTooLongError past 1024 bytes. */
export function parseRequest (req: IncomingMessage, res: ServerResponse): S3Request {
  const url = req.url ?? ''
  const queryStart = url.indexOf('?')
  const rawPath = queryStart < 0 ? url : url.slice(0, queryStart)
  // Clients percent-encode everything else; raw bytes here could only be mis-decoded.
  if (!rawPath.startsWith('/') || /[^\x21-\x7e]/.test(rawPath)) throw errors.invalidUri()
  const query: Array<[string, string]> = []
  for (const pair of (queryStart < 0 ? '' : url.slice(queryStart + 1)).split('&')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    query.push(equals < 0 ? [decode(pair), ''] : [decode(pair.slice(0, equals)), decode(pair.slice(equals + 1))])
  }
  const slash = rawPath.indexOf('/', 1)
  const bucket = decode(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash))
  const key = slash < 0 || slash === rawPath.length - 1 ? undefined : decode(rawPath.slice(slash + 1))
  if (key !== undefined && Buffer.byteLength(key) > MAX_KEY_BYTES) throw errors.keyTooLong()
  return {
    req,
    res,
    method: req.method ?? 'GET',
    rawPath,
    ...(bucket === '' ? {} : { bucket }),
    ...(key === undefined ? {} : { key }),
    query,
    params: new Map(query)
  }
}

/** A header's first value. */
export function header (req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The x-amz-meta-* headers of a request, names in lower case. */
export function userMetadata (req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers)
    .filter(([name, value]) => name.startsWith('x-amz-meta-') && typeof value === 'string') as Array<[string, string]>)
}

export function sendXml (res: ServerResponse, root: string, children: string[], status = 200): void {
  const body = xmlDocument(root, children)
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body)
}

export function sendEmpty (res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { ...headers, 'content-length': 0 }).end()
}
