// SigV4 verification for S3, DynamoDB and EventBridge: each signature is recomputed with the SDK's own signer
// (@smithy/signature-v4) from what the request says it signed, and compared in constant time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { SignatureV4 } from '@smithy/signature-v4'

export interface Credentials { accessKeyId: string, secretAccessKey: string }

/** A request as received: the path still percent-encoded, the query decoded (in order), the headers. */
export interface SignedRequest {
  method: string
  path: string
  query: Array<[string, string]>
  headers: IncomingHttpHeaders
  /** The whole body, for a service that signs it (DynamoDB); S3 states its payload hash in a header. */
  body?: Buffer
}

/** Why a request is refused, with S3's code; the DynamoDB side maps these to its own. */
export class AuthError extends Error {
  override name = 'AuthError'
  constructor (readonly code: 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch' | 'AuthorizationHeaderMalformed' |
  'AuthorizationQueryParametersError' | 'RequestTimeTooSkewed' | 'InvalidRequest', message: string) {
    super(message)
  }
}

/** What a verified signature says about the body, and how to verify what follows it (aws-chunked bodies). */
export interface Authenticated {
  /** UNSIGNED-PAYLOAD, a hex SHA-256 of the body, or one of the STREAMING-* forms. */
  payloadHash: string
  /** The request's signature: the seed of an aws-chunked body's chain of chunk signatures. */
  signature: string
  /** The signature a chunk (or the trailer) must carry, given the previous one and the hex SHA-256 of its bytes. */
  signChunk: (previous: string, sha256: string, kind: 'chunk' | 'trailer') => Promise<string>
}

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
export const EMPTY_SHA256 = createHash('sha256').digest('hex')
const ALGORITHM = 'AWS4-HMAC-SHA256'
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600
const MAX_SKEW_MS = 15 * 60 * 1000

/** node:crypto's SHA-256 in the shape the SDK's signer takes (a hash, or an HMAC when given a secret). */
export class Sha256 {
  private readonly hash
  constructor (secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret))
  }

  update (data: SourceData): void { this.hash.update(bytes(data)) }
  async digest (): Promise<Uint8Array> { return this.hash.digest() }
  reset (): void {}
}

type SourceData = string | ArrayBuffer | ArrayBufferView

function bytes (data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)
}

/** Constant-time comparison of two hex signatures. */
export function sameSignature (a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Verifies requests signed for `service` with the one credential pair. */
export class SigV4Verifier {
  private readonly signer: SignatureV4
  constructor (private readonly credentials: Credentials, private readonly service: 's3' | 'dynamodb' | 'events') {
    // S3 signs the path as sent; other services normalize it (the SDK's own settings per service).
    this.signer = new SignatureV4({ credentials, region: 'us-east-1', service, sha256: Sha256, uriEscapePath: service !== 's3', applyChecksum: false })
  }

  /** Whether the request carries a SigV4 signature at all (header or query); unsigned requests are anonymous. */
  static isSigned (request: SignedRequest): boolean {
    return request.headers.authorization !== undefined || request.query.some(([name]) => name === 'X-Amz-Algorithm')
  }

  async verify (request: SignedRequest, now = new Date()): Promise<Authenticated> {
    return request.query.some(([name]) => name === 'X-Amz-Algorithm')
      ? await this.verifyQuery(request, now)
      : await this.verifyHeader(request, now)
  }

  private async verifyHeader (request: SignedRequest, now: Date): Promise<Authenticated> {
    const authorization = single(request.headers.authorization) ?? ''
    const match = /^AWS4-HMAC-SHA256 +Credential=([^,\s]+), *SignedHeaders=([^,\s]+), *Signature=([0-9a-f]{64})$/.exec(authorization)
    if (match === null) {
      throw authorization.startsWith('AWS ')
        ? new AuthError('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.')
        : new AuthError('AuthorizationHeaderMalformed', 'The authorization header is malformed.')
    }
    const [, credential, signedList, signature] = match as unknown as [string, string, string, string]
    const scope = this.scope(credential, 'AuthorizationHeaderMalformed')
    const date = parseAmzDate(single(request.headers['x-amz-date']))
    if (date === undefined) throw new AuthError('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header')
    if (Math.abs(now.getTime() - date.getTime()) > MAX_SKEW_MS) {
      throw new AuthError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.')
    }
    const signed = signedList.split(';')
    const headers = this.signedHeaders(request, signed)
    const payloadHash = this.payloadHash(request, headers)
    if (!('x-amz-content-sha256' in headers)) headers['x-amz-content-sha256'] = payloadHash
    const resigned = await this.signer.sign({ ...baseRequest(request), headers, body: request.body }, {
      signingDate: date,
      signingRegion: scope.region,
      signingService: this.service,
      signableHeaders: new Set(signed),
      unsignableHeaders: new Set(signed.includes('x-amz-content-sha256') ? [] : ['x-amz-content-sha256'])
    })
    const expected = /SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(String(resigned.headers.authorization))
    if (expected?.[1] !== signedList || !sameSignature(expected[2] ?? '', signature)) throw signatureMismatch()
    return this.authenticated(payloadHash, signature, date, scope.region)
  }

  private async verifyQuery (request: SignedRequest, now: Date): Promise<Authenticated> {
    const param = (name: string) => request.query.find(([key]) => key === name)?.[1]
    const missing = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].filter(name => param(name) === undefined)
    if (param('X-Amz-Algorithm') !== ALGORITHM || missing.length > 0) {
      throw new AuthError('AuthorizationQueryParametersError', `Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.${missing.length > 0 ? ` Missing: ${missing.join(', ')}.` : ''}`)
    }
    const scope = this.scope(param('X-Amz-Credential')!, 'AuthorizationQueryParametersError')
    const date = parseAmzDate(param('X-Amz-Date'))
    if (date === undefined) throw new AuthError('AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"')
    const expires = Number(param('X-Amz-Expires'))
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
      throw new AuthError('AuthorizationQueryParametersError', `X-Amz-Expires must be an integer between 1 and ${MAX_EXPIRES_SECONDS} (seconds; a week at most)`)
    }
    if (now.getTime() > date.getTime() + expires * 1000) throw new AuthError('AccessDenied', 'Request has expired')
    if (date.getTime() - now.getTime() > MAX_SKEW_MS) throw new AuthError('AccessDenied', 'Request is not valid yet')
    const signedList = param('X-Amz-SignedHeaders')!
    const signed = signedList.split(';')
    const headers = this.signedHeaders(request, signed)
    const payloadHash = headers['x-amz-content-sha256'] ?? param('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD
    // The signer takes the payload hash from this header: kept out of the signed headers and of the query.
    headers['x-amz-content-sha256'] ??= payloadHash
    const resigned = await this.signer.presign({ ...baseRequest(request), headers }, {
      signingDate: date,
      expiresIn: expires,
      signingRegion: scope.region,
      signingService: this.service,
      signableHeaders: new Set(signed),
      unsignableHeaders: new Set(signed.includes('x-amz-content-sha256') ? [] : ['x-amz-content-sha256']),
      unhoistableHeaders: new Set([...signed, 'x-amz-content-sha256'])
    })
    const signature = param('X-Amz-Signature')!
    const recomputed = resigned.query ?? {}
    if (recomputed['X-Amz-SignedHeaders'] !== signedList || recomputed['X-Amz-Credential'] !== param('X-Amz-Credential') ||
      !sameSignature(String(recomputed['X-Amz-Signature']), signature)) throw signatureMismatch()
    return this.authenticated(payloadHash, signature, date, scope.region)
  }

  /** The credential's access key must be ours, its scope well formed and for this service. */
  private scope (credential: string, malformed: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError'): { region: string } {
    const parts = credential.split('/')
    const [accessKeyId, day, region, service, terminator] = parts
    if (parts.length !== 5 || !/^\d{8}$/.test(day ?? '') || region === '' || terminator !== 'aws4_request') {
      throw new AuthError(malformed, 'The credential is malformed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".')
    }
    if (accessKeyId !== this.credentials.accessKeyId) {
      throw new AuthError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.')
    }
    if (service !== this.service) throw new AuthError(malformed, `The credential is for the service '${service}'; expecting '${this.service}'.`)
    return { region: region! }
  }

  /** The headers the client says it signed, as it sent them; a signed header it did not send cannot match. */
  private signedHeaders (request: SignedRequest, signed: string[]): Record<string, string> {
    const headers: Record<string, string> = {}
    for (const name of signed) {
      // Own properties only: a signed-header name such as "constructor" must not find Object.prototype's.
      const value = Object.hasOwn(request.headers, name) ? request.headers[name] : undefined
      if (value === undefined || name === '') throw signatureMismatch()
      headers[name] = Array.isArray(value) ? value.join(',') : value
    }
    return headers
  }

  /** S3 names the payload hash in x-amz-content-sha256 (required); others sign the body itself. */
  private payloadHash (request: SignedRequest, headers: Record<string, string>): string {
    const stated = single(request.headers['x-amz-content-sha256'])
    if (this.service === 's3') {
      if (stated === undefined) throw new AuthError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256')
      return stated
    }
    const actual = createHash('sha256').update(request.body ?? Buffer.alloc(0)).digest('hex')
    if (stated !== undefined && stated !== actual) throw signatureMismatch()
    return headers['x-amz-content-sha256'] ?? actual
  }

  private authenticated (payloadHash: string, signature: string, signingDate: Date, region: string): Authenticated {
    const longDate = signingDate.toISOString().replace(/[-:]|\.\d{3}/g, '')
    const scope = `${longDate.slice(0, 8)}/${region}/${this.service}/aws4_request`
    return {
      payloadHash,
      signature,
      signChunk: async (previous, sha256, kind) => await this.signer.sign(kind === 'chunk'
        ? [`${ALGORITHM}-PAYLOAD`, longDate, scope, previous, EMPTY_SHA256, sha256].join('\n')
        : [`${ALGORITHM}-TRAILER`, longDate, scope, previous, sha256].join('\n'),
      { signingDate, signingRegion: region, signingService: this.service })
    }
  }
}

function signatureMismatch (): AuthError {
  return new AuthError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.')
}

/** The request in the signer's shape; the query without the signature, repeated names as arrays. */
function baseRequest (request: SignedRequest) {
  const query: Record<string, string | string[]> = {}
  for (const [name, value] of request.query) {
    if (name === 'X-Amz-Signature') continue
    const previous = query[name]
    query[name] = previous === undefined ? value : [previous, value].flat()
  }
  return { method: request.method, protocol: 'http:', hostname: 'localhost', path: request.path, query, headers: {} }
}

function single (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** `20261124T103046Z` as a Date; undefined when it is not one. */
function parseAmzDate (text: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text ?? '')
  if (match === null) return undefined
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number]
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  return date.getUTCDate() === d && date.getUTCHours() === h ? date : undefined
}
