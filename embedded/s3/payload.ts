// A request body as S3 takes it: aws-chunked decoded, its length bounded, and every digest the client stated
// (Content-MD5, x-amz-content-sha256, x-amz-checksum-*) checked once the last byte has arrived.
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { createChecksum, type Checksum } from './checksums.ts'
import { decodeAwsChunked } from './chunked.ts'
import { errors } from './errors.ts'
import { UNSIGNED_PAYLOAD, type Authenticated } from './sigv4.ts'

export interface Payload {
  /** The body's bytes; iterating it to the end throws when a stated digest does not match. */
  data: AsyncGenerator<Buffer>
  /** Filled once `data` is consumed. */
  result: { size: number, md5: string, checksum?: { header: string, value: string } }
}

const STREAMING = new Set([
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
])

function header (req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** The body of `req` as authenticated by `auth`, refused above `maxBytes`. */
export function openPayload (req: IncomingMessage, auth: Authenticated, maxBytes: number): Payload {
  const { payloadHash } = auth
  const chunked = payloadHash.startsWith('STREAMING-')
  if (chunked && !STREAMING.has(payloadHash)) throw errors.invalidRequest(`The payload form ${payloadHash} is not supported.`)
  if (!chunked && payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(payloadHash)) throw errors.invalidArgument('x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a SHA-256 hex digest', 'x-amz-content-sha256', payloadHash)

  const lengthHeader = chunked ? header(req, 'x-amz-decoded-content-length') : header(req, 'content-length')
  if (lengthHeader === undefined || !/^\d{1,15}$/.test(lengthHeader)) throw errors.missingContentLength()
  const length = Number(lengthHeader)
  if (length > maxBytes) throw errors.entityTooLarge(maxBytes)

  const md5Header = header(req, 'content-md5')
  const statedMd5 = md5Header === undefined ? undefined : Buffer.from(md5Header, 'base64')
  if (statedMd5 !== undefined && (statedMd5.length !== 16 || statedMd5.toString('base64') !== md5Header)) throw errors.invalidDigest()

  // A checksum comes in a header, or in the trailer the x-amz-trailer header announces.
  const trailerName = header(req, 'x-amz-trailer')?.trim().toLowerCase()
  const checksumHeader = trailerName ?? Object.keys(req.headers).find(name => name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-algorithm' && name !== 'x-amz-checksum-type')
  const checksum: Checksum | undefined = checksumHeader === undefined ? undefined : createChecksum(checksumHeader)

  const source = req as AsyncIterable<Buffer>
  const decoded = chunked
    ? decodeAwsChunked(source, { decodedLength: length, ...(payloadHash.startsWith('STREAMING-AWS4') ? { signed: auth } : {}) })
    : undefined
  const result: Payload['result'] = { size: 0, md5: '' }

  async function * data (): AsyncGenerator<Buffer> {
    const md5 = createHash('md5')
    const sha256 = /^[0-9a-f]{64}$/.test(payloadHash) ? createHash('sha256') : undefined
    let size = 0
    for await (const chunk of decoded?.data ?? source) {
      size += chunk.length
      if (size > length) throw errors.incompleteBody()
      md5.update(chunk)
      sha256?.update(chunk)
      checksum?.update(chunk)
      yield chunk
    }
    if (size !== length) throw errors.incompleteBody()
    const digest = md5.digest()
    if (statedMd5 !== undefined && !digest.equals(statedMd5)) throw errors.badDigest('Content-MD5')
    if (sha256 !== undefined && sha256.digest('hex') !== payloadHash) throw errors.sha256Mismatch()
    if (checksumHeader !== undefined) {
      const stated = trailerName === undefined ? header(req, checksumHeader) : decoded?.trailers.get(checksumHeader)
      if (stated === undefined) throw errors.invalidRequest(`The ${checksumHeader} trailer announced by x-amz-trailer is missing.`)
      if (checksum !== undefined) {
        if (checksum.digest() !== stated) throw errors.badDigest(checksumHeader.replace(/^x-amz-checksum-/, '').toUpperCase())
        result.checksum = { header: checksumHeader, value: stated }
      }
    }
    result.size = size
    result.md5 = digest.toString('hex')
  }

  return { data: data(), result }
}

/** A small body (an XML request) read whole, verified like any other, refused above `maxBytes`. */
export async function readPayload (req: IncomingMessage, auth: Authenticated, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of openPayload(req, auth, maxBytes).data) parts.push(chunk)
  return Buffer.concat(parts)
}
