// Presigned S3 URLs at a fraction of getSignedUrl's cost, byte for byte the URL getSignedUrl makes.
//
// getSignedUrl runs a command through the client's whole middleware stack and SignatureV4 for every URL: about
// 1 ms of CPU. A query-signed URL is a canonical request, a string to sign and one HMAC with a key that changes
// once a day per credentials (AWS Signature Version 4), so this builds those directly with node:crypto and keeps
// the key. The endpoint (path-style or the bucket's own host, by the SDK's endpoint rules) and the signing scope
// are learned once from getSignedUrl itself; the credentials come from the client's provider on every call, so
// a Lambda role's rotating credentials are followed. test/aws/presign.test.ts holds the URLs to getSignedUrl's.
import { createHash, createHmac } from 'node:crypto'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'

/**
 * A presigned URL for `method` on `key` of the bucket, valid `expiresIn` seconds (at most 7 days). `query` is part
 * of the request (`uploadId` and `partNumber` for UploadPart); `headers` are signed and must be sent exactly so
 * (`content-length`); `x-amz-*` ones travel in the query, as the SDK puts them.
 */
export type Presign = (method: string, key: string, query?: Record<string, string>, headers?: Record<string, string>, expiresIn?: number, signingDate?: Date) => Promise<string>

const ALGORITHM = 'AWS4-HMAC-SHA256'
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/

/** RFC 3986 percent-encoding (`!'()*` too), as the SDK writes query names, values and key segments. */
function escape (value: string): string {
  if (UNRESERVED.test(value)) return value
  return encodeURIComponent(value).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The operation the SDK names in `x-id`, so a URL is the one getSignedUrl makes for that command. */
function operation (method: string, query: Record<string, string>): string | undefined {
  if (method === 'PUT') return query.partNumber !== undefined && query.uploadId !== undefined ? 'UploadPart' : 'PutObject'
  return ({ GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' } as Record<string, string | undefined>)[method]
}

/** Where the bucket is and how requests to it are signed. */
interface Target { origin: string, host: string, pathPrefix: string, region: string, service: string }

/** Learned from one URL of the SDK's own presigner, so its endpoint rules (path-style, regional hosts) apply. */
async function learnTarget (client: S3Client, bucket: string): Promise<Target> {
  const url = new URL(await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: 'k' })))
  const [, , region, service] = url.searchParams.get('X-Amz-Credential')!.split('/')
  // `/bucket/k` by path, `/k` on the bucket's own host.
  return { origin: url.origin, host: url.host, pathPrefix: url.pathname.slice(0, -'/k'.length), region: region!, service: service! }
}

interface Credentials { accessKeyId: string, secretAccessKey: string, sessionToken?: string | undefined }

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()

/**
 * Presigns requests on `bucket` with `client`'s endpoint, region and credentials. Directory buckets (S3 Express,
 * `--x-s3`) sign with session credentials this does not fetch: getSignedUrl is the way for those.
 */
export function createPresigner (client: S3Client, bucket: string): Presign {
  let target: Promise<Target> | undefined
  // The signing key of the day for the credentials last seen (the provider returns the same object until it refreshes
  // them), with the escaped forms of what they put in every URL: a role's session token is a kilobyte.
  let signing: { credentials: Credentials, shortDate: string, key: Buffer, credential: string, token: string | undefined } | undefined
  const signingFor = (credentials: Credentials, shortDate: string, { region, service }: Target) => {
    if (signing?.credentials !== credentials || signing.shortDate !== shortDate) {
      let key = hmac(`AWS4${credentials.secretAccessKey}`, shortDate)
      for (const part of [region, service, 'aws4_request']) key = hmac(key, part)
      const credential = escape(`${credentials.accessKeyId}/${shortDate}/${region}/${service}/aws4_request`)
      signing = { credentials, shortDate, key, credential, token: credentials.sessionToken === undefined ? undefined : escape(credentials.sessionToken) }
    }
    return signing
  }

  return async (method, key, query = {}, headers = {}, expiresIn = 900, signingDate = new Date()) => {
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_SECONDS) {
      throw new RangeError(`expiresIn must be a whole number of seconds from 1 to ${MAX_EXPIRES_SECONDS} (7 days), not ${expiresIn}`)
    }
    target ??= learnTarget(client, bucket).catch((err: unknown) => { target = undefined; throw err })
    const where = await target
    const credentials = await client.config.credentials() as Credentials
    const longDate = signingDate.toISOString().replace(/[-:]|\.\d{3}/g, '')
    const shortDate = longDate.slice(0, 8)
    const scope = `${shortDate}/${where.region}/${where.service}/aws4_request`

    const { key: signingKey, credential, token } = signingFor(credentials, shortDate, where)

    const signed: Record<string, string> = { host: where.host }
    // Name and escaped value of each query parameter; x-amz-* headers travel in the query, as the SDK puts them.
    const params: Array<[string, string]> = Object.entries(query).map(([name, value]) => [name, escape(value)])
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase()
      if (lower.startsWith('x-amz-')) params.push([name, escape(value)])
      else signed[lower] = value.trim().replace(/\s+/g, ' ')
    }
    const headerNames = Object.keys(signed).sort()
    const signedHeaders = headerNames.join(';')
    const xId = operation(method, query)
    params.push(
      ['X-Amz-Algorithm', ALGORITHM],
      ['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'],
      ['X-Amz-Credential', credential],
      ['X-Amz-Date', longDate],
      ['X-Amz-Expires', String(expiresIn)],
      ['X-Amz-SignedHeaders', escape(signedHeaders)]
    )
    if (token !== undefined) params.push(['X-Amz-Security-Token', token])
    if (xId !== undefined) params.push(['x-id', xId])
    params.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    const canonicalQuery = params.map(([name, value]) => `${escape(name)}=${value}`).join('&')
    const path = `${where.pathPrefix}/${key.split('/').map(escape).join('/')}`
    const canonicalHeaders = headerNames.map(name => `${name}:${signed[name]}\n`).join('')
    const canonicalRequest = `${method}\n${path}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\nUNSIGNED-PAYLOAD`
    const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`
    const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex')
    // The URL's query is the canonical one with the signature in its sorted place, as the SDK's formatUrl writes it.
    const at = params.findIndex(([name]) => name > 'X-Amz-Signature')
    const parts = canonicalQuery.split('&')
    parts.splice(at === -1 ? parts.length : at, 0, `X-Amz-Signature=${signature}`)
    return `${where.origin}${path}?${parts.join('&')}`
  }
}
