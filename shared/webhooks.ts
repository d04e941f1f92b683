// Webhooks as the Standard Webhooks spec (https://www.standardwebhooks.com) has them: the settings, the message of a
// verdict, its signature, one delivery attempt (global fetch) and the retry schedule. The embedded stack and the
// AWS sender function both deliver through this module; only where pending deliveries wait differs.
import { createHash, createHmac } from 'node:crypto'
import Type, { type Static } from 'typebox'
import { ConfigError } from './config.ts'
import type { FileMetadata } from './file-record.ts'

const URL_LIST = '^https?://[^,\\s]+(,https?://[^,\\s]+)*$'

/** The variables of webhook delivery: read by `npm start` and by the AWS sender function (and at deploy time). */
export const WebhookSettings = Type.Object({
  webhookUrls: Type.Optional(Type.String({ pattern: URL_LIST, description: 'Comma-separated http(s) URLs that receive the final record of every file (Standard Webhooks); requires WEBHOOK_SECRET.' })),
  webhookSecret: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$', description: 'The Standard Webhooks signing secret, `whsec_` and 24 to 64 random bytes in base64.' }))
})

/** Where webhooks go and the key they are signed with. */
export interface WebhookTargets {
  urls: string[]
  /** The HMAC key: the secret's base64 part, decoded. */
  key: Buffer
}

/** A command that prints a fresh secret, for the error that asks for one. */
export const NEW_SECRET_COMMAND = 'node -e "console.log(\'whsec_\' + crypto.randomBytes(32).toString(\'base64\'))"'

/**
 * The targets of the settings, or undefined when WEBHOOK_URLS is unset (no webhooks). Throws a ConfigError naming
 * the variable when a URL does not parse, or when the secret is missing or of a length the spec does not allow.
 */
export function webhookTargets (settings: Static<typeof WebhookSettings>): WebhookTargets | undefined {
  if (settings.webhookUrls === undefined) return undefined
  const urls = settings.webhookUrls.split(',')
  for (const url of urls) {
    if (!URL.canParse(url)) throw new ConfigError(`Invalid configuration:\n  WEBHOOK_URLS: ${JSON.stringify(url)} is not a URL`)
  }
  if (settings.webhookSecret === undefined) {
    throw new ConfigError(`Invalid configuration:\n  WEBHOOK_SECRET is required when WEBHOOK_URLS is set: webhooks are signed with it (Standard Webhooks). Create one with\n    ${NEW_SECRET_COMMAND}\n  and give it to the receivers too.`)
  }
  const key = Buffer.from(settings.webhookSecret.slice('whsec_'.length), 'base64')
  if (key.length < 24 || key.length > 64) {
    throw new ConfigError(`Invalid configuration:\n  WEBHOOK_SECRET=(hidden): its base64 part decodes to ${key.length} bytes; Standard Webhooks asks for 24 to 64. Create one with\n    ${NEW_SECRET_COMMAND}`)
  }
  return { urls, key }
}

export type WebhookType = 'file.processed' | 'file.failed'

/** One message: the same id and body on every attempt and every URL; only the timestamp and signature change. */
export interface WebhookMessage {
  id: string
  type: WebhookType
  body: string
}

/**
 * The message of a final record. Its id is a hash of what identifies the verdict (file, upload, version, status),
 * so the same verdict sent again (a retry, or a duplicate S3 event processed twice) carries the same `webhook-id`.
 */
export function webhookMessage (record: FileMetadata): WebhookMessage {
  const type = `file.${record.status}` as WebhookType
  const identity = JSON.stringify([record.filename, record.upload_timestamp, record.etag, record.status])
  return {
    id: `msg_${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`,
    type,
    body: JSON.stringify({ type, timestamp: record.processed_at ?? record.upload_timestamp, data: record })
  }
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the spec's symmetric signature. */
export function webhookSignature (key: Uint8Array, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

/** The request headers of one attempt, signed at `now` (seconds since the epoch, as the spec says). */
export function webhookHeaders (message: WebhookMessage, key: Uint8Array, now = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000)
  return {
    'content-type': 'application/json',
    'user-agent': 'csv-metadata-webhooks',
    'webhook-id': message.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': webhookSignature(key, message.id, timestamp, message.body)
  }
}

/** What one attempt came to. */
export interface AttemptResult {
  ok: boolean
  /** The answer's status, when there was one. */
  status?: number
  /** Why it failed, in words (`HTTP 500`, `connect ECONNREFUSED …`, `no answer within 15 s`). */
  error?: string
  /** What a Retry-After header asked for, in milliseconds. */
  retryAfterMs?: number
  /** 410 Gone: the receiver wants no more; not retried. */
  permanent?: boolean
}

/** How long an attempt waits for an answer; the spec recommends 15 to 30 s. */
export const WEBHOOK_TIMEOUT_MS = 15_000

/**
 * POSTs the message to `url`, signed now. 2xx is delivered; anything else is a failure to retry: another status
 * (a redirect is not followed: the URL should be updated), no answer in time, or no connection.
 */
export async function sendWebhook (url: string, message: WebhookMessage, key: Uint8Array, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<AttemptResult> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: webhookHeaders(message, key),
      body: message.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs)
    })
    await response.body?.cancel()
    const { status } = response
    if (status >= 200 && status < 300) return { ok: true, status }
    const retryAfterMs = retryAfter(response.headers.get('retry-after'))
    return { ok: false, status, error: `HTTP ${status}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), ...(status === 410 ? { permanent: true } : {}) }
  } catch (err) {
    return { ok: false, error: failure(err, timeoutMs) }
  }
}

/** Waits between attempts: the first retry 5 s after the first failure, the last one about 2 h 43 min after it. */
export const WEBHOOK_RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000]

/** Longest wait a Retry-After header may ask for. */
const MAX_RETRY_AFTER_MS = 3_600_000

/**
 * Milliseconds to wait before the next attempt, after `failedAttempts` attempts failed and the last came to `result`;
 * undefined when it should not be retried (the schedule is spent, or the receiver answered 410 Gone).
 */
export function retryDelay (failedAttempts: number, result: AttemptResult, delays: readonly number[] = WEBHOOK_RETRY_DELAYS_MS): number | undefined {
  if (result.permanent === true) return undefined
  const scheduled = delays[failedAttempts - 1]
  if (scheduled === undefined) return undefined
  return Math.max(scheduled, Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS))
}

/** A URL as logged: without credentials or query, which may hold a token. */
export function shownUrl (url: string): string {
  const { origin, pathname } = new URL(url)
  return `${origin}${pathname}`
}

function retryAfter (header: string | null): number | undefined {
  if (header === null) return undefined
  const seconds = Number(header)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now()
  return Number.isFinite(ms) && ms > 0 ? ms : undefined
}

function failure (err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`
  const cause = (err as { cause?: { code?: string, message?: string } }).cause
  const detail = cause?.message ?? cause?.code
  return err instanceof Error ? `${err.message}${detail === undefined ? '' : `: ${detail}`}` : String(err)
}
