// Single-item DynamoDB requests (GetItem, UpdateItem) signed and sent with node:http, without the SDK's per-call middleware.
//
// A call through DynamoDBClient builds its middleware stack again for every command (cloned and sorted), resolves the
// endpoint, serializes through the schema serde and signs with SignatureV4: 400-600 µs of CPU where the request
// itself, signed and sent here, takes 100-200 (README, Performance). What the SDK decides stays the SDK's: the endpoint
// and the signing scope are learned once from a request it signs (as ./presign.ts learns S3's), the credentials come
// from the client's provider on every call (a role's rotating credentials are followed), the date is skew-corrected by
// the client's offset, which an error answer's Date header corrects as the SDK corrects it (and the request is then
// tried again), and retries use the client's own retry strategy (its attempts, backoff and retry quota), on the errors it retries:
// throttling, timeouts, network errors and 5xx. Errors are the SDK's own classes
// (ConditionalCheckFailedException, ...), with `$metadata`, so callers cannot tell the two paths apart.
import { createHash, createHmac } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import * as dynamodb from '@aws-sdk/client-dynamodb'
import { INTERACTIVE_TIMEOUTS } from './clients.ts'

export type ItemOperation = 'GetItem' | 'UpdateItem'
/** Sends one request in DynamoDB's JSON protocol (attribute values marshalled) and resolves to its answer. */
export type ItemRequests = (operation: ItemOperation, input: Record<string, unknown>) => Promise<Record<string, unknown>>

/** Longest wait for a connection and longest silence on a request's socket (ms), as the SDK's handler takes them. */
export interface ItemRequestOptions {
  connectionTimeout: number
  requestTimeout: number
}

/** A DynamoDBClient, or a document client (which sends through the client it wraps). */
type Client = Pick<dynamodb.DynamoDBClient, 'config' | 'send'>

const ALGORITHM = 'AWS4-HMAC-SHA256'
const CONTENT_TYPE = 'application/x-amz-json-1.0'
/** The SDK's node:http handler keeps this many sockets per host. */
const MAX_SOCKETS = 50

const THROTTLING = new Set([
  'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'LimitExceededException',
  'TransactionInProgressException', 'TooManyRequestsException', 'Throttling', 'ThrottledException', 'RequestThrottled',
  'RequestThrottledException', 'BandwidthLimitExceeded', 'SlowDown', 'PriorRequestNotComplete'
])
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'])
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
const TRANSIENT_STATUS = new Set([500, 502, 503, 504])
/** A server clock this far from ours (skew-corrected) corrects the client's offset, as the SDK's signer does. */
const MAX_SKEW_MS = 5 * 60_000

/** Where requests go and the scope they are signed for, as the SDK's own request showed. */
interface Target { protocol: string, hostname: string, port: number | undefined, path: string, host: string, region: string, service: string }

interface Credentials { accessKeyId: string, secretAccessKey: string, sessionToken?: string | undefined }

interface RetryToken { getRetryDelay: () => number }
interface RetryStrategy {
  acquireInitialRetryToken: (scope: string) => Promise<RetryToken>
  refreshRetryTokenForRetry: (token: RetryToken, info: { errorType: string, error: unknown }) => Promise<RetryToken>
  recordSuccess: (token: RetryToken) => void
}

type Metadata = { httpStatusCode?: number, requestId?: string, attempts?: number, totalRetryDelay?: number, clockSkewCorrected?: boolean }

/** Stops the learning request once the SDK has built and signed it: nothing is sent. */
class Learned extends Error {}

/** The endpoint and signing scope of `client`'s requests: one GetItem built and signed by the SDK, never sent. */
async function learnTarget (client: Client): Promise<Target> {
  const command = new dynamodb.GetItemCommand({ TableName: 'endpoint-probe', Key: { k: { S: 'k' } } })
  command.middlewareStack.add(() => async args => { throw new Learned('', { cause: args.request }) }, { step: 'deserialize', priority: 'low', name: 'learnItemTarget' })
  const request = await client.send(command).then(
    () => { throw new Error('the endpoint probe was sent') },
    (err: unknown) => {
      if (err instanceof Learned) return err.cause as { protocol: string, hostname: string, port?: number, path: string, headers: Record<string, string> }
      throw err
    })
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? '')
  if (scope === null) throw new Error('the SDK did not sign the endpoint probe with Signature Version 4')
  return {
    protocol: request.protocol,
    hostname: request.hostname,
    port: request.port,
    path: request.path,
    host: request.headers.host ?? (request.port === undefined ? request.hostname : `${request.hostname}:${request.port}`),
    region: scope[1]!,
    service: scope[2]!
  }
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex')

/** Which kind of retryable failure `err` is (as the SDK's retry strategy names them), or undefined when it is final. */
function retryKind (err: unknown): string | undefined {
  const e = err as { name?: string, code?: string, $metadata?: Metadata }
  const status = e.$metadata?.httpStatusCode ?? 0
  if (e.$metadata?.clockSkewCorrected === true) return 'TRANSIENT'
  if (status === 429 || THROTTLING.has(e.name ?? '')) return 'THROTTLING'
  if (TRANSIENT_NAMES.has(e.name ?? '') || TRANSIENT_CODES.has(e.code ?? '') || TRANSIENT_STATUS.has(status)) return 'TRANSIENT'
  if (status >= 500) return 'SERVER_ERROR'
  return undefined
}

/** The SDK's exception for an error answer: the client's class of that name, or DynamoDBServiceException. */
function serviceError (status: number, headers: http.IncomingHttpHeaders, text: string): Error {
  let body: { __type?: string, message?: string, Message?: string } = {}
  try {
    body = JSON.parse(text) as typeof body
  } catch {}
  const type = body.__type ?? String(headers['x-amzn-errortype'] ?? `Http${status}`)
  const name = type.slice(type.lastIndexOf('#') + 1).split(':')[0]!
  const message = body.message ?? body.Message ?? (text === '' ? name : text)
  const $metadata: Metadata = { httpStatusCode: status, requestId: headers['x-amzn-requestid'] as string | undefined }
  const Known = (dynamodb as Record<string, unknown>)[name]
  if (typeof Known === 'function' && Known.prototype instanceof dynamodb.DynamoDBServiceException) {
    return new (Known as new (options: object) => Error)({ message, $metadata })
  }
  return new dynamodb.DynamoDBServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message, $metadata })
}

/** Sends GetItem and UpdateItem requests with `client`'s endpoint, credentials, clock correction and retry strategy. */
export function createItemRequests (client: Client, { connectionTimeout, requestTimeout }: ItemRequestOptions = INTERACTIVE_TIMEOUTS): ItemRequests {
  let target: Promise<Target> | undefined
  let retryStrategy: Promise<RetryStrategy> | undefined
  let agent: http.Agent | undefined
  // The signing key of the day for the credentials last seen (the provider returns the same object until it refreshes).
  let signing: { credentials: Credentials, shortDate: string, key: Buffer } | undefined

  const signingKey = (credentials: Credentials, shortDate: string, { region, service }: Target): Buffer => {
    if (signing?.credentials !== credentials || signing.shortDate !== shortDate) {
      let key = hmac(`AWS4${credentials.secretAccessKey}`, shortDate)
      for (const part of [region, service, 'aws4_request']) key = hmac(key, part)
      signing = { credentials, shortDate, key }
    }
    return signing.key
  }

  /** Sets the client's clock offset from an error answer's Date when the two clocks are 5 minutes apart or more; true when it did. */
  const correctedSkew = (date: string | undefined): boolean => {
    const serverTime = date === undefined ? Number.NaN : Date.parse(date)
    if (Number.isNaN(serverTime) || Math.abs(Date.now() + (client.config.systemClockOffset ?? 0) - serverTime) < MAX_SKEW_MS) return false
    client.config.systemClockOffset = serverTime - Date.now()
    return true
  }

  async function attempt (where: Target, operation: ItemOperation, body: string): Promise<Record<string, unknown>> {
    const credentials = await client.config.credentials() as Credentials
    const longDate = new Date(Date.now() + (client.config.systemClockOffset ?? 0)).toISOString().replace(/[-:]|\.\d{3}/g, '')
    const shortDate = longDate.slice(0, 8)
    const scope = `${shortDate}/${where.region}/${where.service}/aws4_request`
    const token = credentials.sessionToken === undefined ? '' : `x-amz-security-token:${credentials.sessionToken}\n`
    const signedHeaders = `content-type;host;x-amz-date${token === '' ? '' : ';x-amz-security-token'};x-amz-target`
    const canonicalRequest = `POST\n${where.path}\n\ncontent-type:${CONTENT_TYPE}\nhost:${where.host}\nx-amz-date:${longDate}\n${token}` +
      `x-amz-target:DynamoDB_20120810.${operation}\n\n${signedHeaders}\n${sha256(body)}`
    const signature = createHmac('sha256', signingKey(credentials, shortDate, where))
      .update(`${ALGORITHM}\n${longDate}\n${scope}\n${sha256(canonicalRequest)}`).digest('hex')
    const headers: Record<string, string | number> = {
      host: where.host,
      'content-type': CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
      'x-amz-date': longDate,
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
    }
    if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken
    const secure = where.protocol === 'https:'
    agent ??= secure ? new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }) : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS })

    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request({
        protocol: where.protocol, hostname: where.hostname, port: where.port, path: where.path, method: 'POST', headers, agent, timeout: requestTimeout
      }, response => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = response.statusCode ?? 0
          if (status !== 200) {
            const err = serviceError(status, response.headers, text) as Error & { $metadata: Metadata }
            if (correctedSkew(response.headers.date)) err.$metadata.clockSkewCorrected = true
            return reject(err)
          }
          try {
            resolve(JSON.parse(text) as Record<string, unknown>)
          } catch (err) {
            reject(Object.assign(new Error(`DynamoDB answered ${operation} with text that is not JSON`, { cause: err }), { $metadata: { httpStatusCode: status } }))
          }
        })
      })
      const timedOut = (what: string, ms: number) => request.destroy(Object.assign(new Error(`DynamoDB ${what} within ${ms} ms`), { name: 'TimeoutError' }))
      request.once('socket', socket => {
        if (!socket.connecting) return
        const timer = setTimeout(() => timedOut('did not accept a connection', connectionTimeout), connectionTimeout)
        socket.once('connect', () => clearTimeout(timer))
        socket.once('close', () => clearTimeout(timer))
      })
      request.on('timeout', () => timedOut('did not answer', requestTimeout))
      request.on('error', reject)
      request.end(body)
    })
  }

  return async (operation, input) => {
    target ??= learnTarget(client).catch((err: unknown) => { target = undefined; throw err })
    retryStrategy ??= (client.config.retryStrategy() as Promise<unknown> as Promise<RetryStrategy>).catch((err: unknown) => { retryStrategy = undefined; throw err })
    const [where, strategy] = await Promise.all([target, retryStrategy])
    const body = JSON.stringify(input)
    let token = await strategy.acquireInitialRetryToken('')
    let attempts = 0
    let totalRetryDelay = 0
    for (;;) {
      attempts++
      try {
        const output = await attempt(where, operation, body)
        strategy.recordSuccess(token)
        return output
      } catch (err) {
        const errorType = retryKind(err)
        const final = () => Object.assign(err as object, { $metadata: { ...(err as { $metadata?: Metadata }).$metadata, attempts, totalRetryDelay } })
        if (errorType === undefined) throw final()
        try {
          token = await strategy.refreshRetryTokenForRetry(token, { errorType, error: err })
        } catch {
          throw final()
        }
        totalRetryDelay += token.getRetryDelay()
        await sleep(token.getRetryDelay())
      }
    }
  }
}
