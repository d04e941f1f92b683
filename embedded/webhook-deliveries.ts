// Webhook delivery on the embedded stack: every verdict becomes one delivery per URL, kept as a JSON file in
// DATA_DIR/webhooks/pending/ until the receiver answers 2xx, retried on the schedule of shared/webhooks.ts and then
// kept in DATA_DIR/webhooks/dead-letters/. A delivery written before the event bus answered survives a restart.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { FileMetadata } from '../shared/file-record.ts'
import type { Logger } from '../shared/logger.ts'
import {
  retryDelay, sendWebhook, shownUrl, webhookMessage, WEBHOOK_RETRY_DELAYS_MS, WEBHOOK_TIMEOUT_MS,
  type WebhookMessage, type WebhookTargets
} from '../shared/webhooks.ts'

/** One message on its way to one URL, as kept on disk. */
export interface Delivery {
  url: string
  /** The file the verdict is about, for the logs and the dead letter's reader. */
  filename: string
  message: WebhookMessage
  /** Attempts made so far. */
  attempts: number
  createdAt: string
  nextAttemptAt: string
  lastError?: string
}

/** A delivery that used up its attempts. */
export interface DeadWebhook extends Delivery { failedAt: string }

export interface WebhookDeliveriesOptions {
  dataDir: string
  targets: WebhookTargets
  logger: Logger
  /** Waits between attempts; WEBHOOK_RETRY_DELAYS_MS by default. */
  retryDelaysMs?: readonly number[]
  timeoutMs?: number
}

/** Most attempts in flight at once. */
const CONCURRENCY = 8

export function pendingFolder (dataDir: string): string {
  return join(dataDir, 'webhooks', 'pending')
}

export function webhookDeadLetterFolder (dataDir: string): string {
  return join(dataDir, 'webhooks', 'dead-letters')
}

export class WebhookDeliveries {
  readonly #options: Required<WebhookDeliveriesOptions>
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #due: string[] = []
  readonly #inFlight = new Set<Promise<void>>()
  #closed = false

  constructor (options: WebhookDeliveriesOptions) {
    this.#options = { retryDelaysMs: WEBHOOK_RETRY_DELAYS_MS, timeoutMs: WEBHOOK_TIMEOUT_MS, ...options }
    mkdirSync(pendingFolder(options.dataDir), { recursive: true })
  }

  /** Schedules the deliveries a previous run left pending: each at its next attempt's time, or now if that passed. */
  start (): number {
    const names = readdirSync(pendingFolder(this.#options.dataDir)).filter(name => name.endsWith('.json'))
    for (const name of names) this.#schedule(name, this.#read(name))
    return names.length
  }

  /** Keeps one delivery per URL for the verdict (on disk, before returning), and sends them. */
  enqueue (record: FileMetadata): void {
    const message = webhookMessage(record)
    const now = new Date().toISOString()
    for (const url of this.#options.targets.urls) {
      const name = `${now.replace(/[:.]/g, '-')}-${randomUUID()}.json`
      const delivery: Delivery = { url, filename: record.filename, message, attempts: 0, createdAt: now, nextAttemptAt: now }
      this.#write(name, delivery)
      this.#schedule(name, delivery)
    }
  }

  /** Stops scheduling and waits for the attempts in flight; what is still pending is sent by the next start. */
  async close (): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    this.#due.length = 0
    await Promise.all(this.#inFlight)
  }

  #schedule (name: string, delivery: Delivery): void {
    if (this.#closed) return
    const timer = setTimeout(() => {
      this.#timers.delete(name)
      this.#due.push(name)
      this.#pump()
    }, Math.max(0, Date.parse(delivery.nextAttemptAt) - Date.now()))
    timer.unref()
    this.#timers.set(name, timer)
  }

  #pump (): void {
    while (!this.#closed && this.#inFlight.size < CONCURRENCY && this.#due.length > 0) {
      const attempt = this.#attempt(this.#due.shift()!).catch((err: unknown) => {
        this.#options.logger.error({ err }, 'a webhook delivery could not be recorded; it is sent again on the next start')
      }).finally(() => {
        this.#inFlight.delete(attempt)
        this.#pump()
      })
      this.#inFlight.add(attempt)
    }
  }

  async #attempt (name: string): Promise<void> {
    const delivery = this.#read(name)
    const result = await sendWebhook(delivery.url, delivery.message, this.#options.targets.key, this.#options.timeoutMs)
    const attempts = delivery.attempts + 1
    const fields = { webhookId: delivery.message.id, type: delivery.message.type, filename: delivery.filename, url: shownUrl(delivery.url), attempts, status: result.status }
    const { logger } = this.#options
    if (result.ok) {
      rmSync(this.#path(name), { force: true })
      logger.info(fields, `webhook ${delivery.message.type} for ${delivery.filename} delivered to ${fields.url}`)
      return
    }
    const delay = retryDelay(attempts, result, this.#options.retryDelaysMs)
    const failed = { ...delivery, attempts, lastError: result.error! }
    if (delay === undefined) {
      const letter: DeadWebhook = { ...failed, failedAt: new Date().toISOString() }
      mkdirSync(webhookDeadLetterFolder(this.#options.dataDir), { recursive: true })
      const kept = join(webhookDeadLetterFolder(this.#options.dataDir), name)
      writeFileSync(kept, JSON.stringify(letter, null, 2) + '\n')
      rmSync(this.#path(name), { force: true })
      logger.error({ ...fields, error: result.error, deadLetter: kept },
        `webhook ${delivery.message.type} for ${delivery.filename} to ${fields.url} failed ${attempts} time(s), last with ${result.error}; given up, kept in ${kept}`)
      return
    }
    const next = { ...failed, nextAttemptAt: new Date(Date.now() + delay).toISOString() }
    this.#write(name, next)
    logger.warn({ ...fields, error: result.error, retryInMs: delay }, `webhook ${delivery.message.type} for ${delivery.filename} to ${fields.url} failed (${result.error}); retrying in ${formatDelay(delay)}`)
    this.#schedule(name, next)
  }

  #path (name: string): string {
    return join(pendingFolder(this.#options.dataDir), name)
  }

  #read (name: string): Delivery {
    return JSON.parse(readFileSync(this.#path(name), 'utf8')) as Delivery
  }

  /** Written whole, then renamed over the old state: a crash leaves the old state or the new one. */
  #write (name: string, delivery: Delivery): void {
    const temporary = `${this.#path(name)}.tmp`
    writeFileSync(temporary, JSON.stringify(delivery, null, 2) + '\n')
    renameSync(temporary, this.#path(name))
  }
}

/** The dead letters kept so far, oldest first. */
export function readWebhookDeadLetters (dataDir: string): DeadWebhook[] {
  let names: string[]
  try {
    names = readdirSync(webhookDeadLetterFolder(dataDir)).filter(name => name.endsWith('.json')).sort()
  } catch {
    return []
  }
  return names.map(name => JSON.parse(readFileSync(join(webhookDeadLetterFolder(dataDir), name), 'utf8')) as DeadWebhook)
}

function formatDelay (ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`
  return ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 3_600_000)} h`
}
