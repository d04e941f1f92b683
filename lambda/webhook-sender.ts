// The webhook sender on AWS: an EventBridge rule invokes it with each verdict event, once per URL (`{url, event}`, one
// target each, so a URL is retried alone); it POSTs the signed message and throws when that failed, so Lambda retries
// the event and then keeps it in the queue. A bare event (a rule of the user's own) goes to every WEBHOOK_URLS.
import Type from 'typebox'
import { CoreSettings, readSettings } from '../shared/config.ts'
import type { Logger } from '../shared/logger.ts'
import { recordOfEvent } from '../shared/verdict-event.ts'
import { sendWebhook, shownUrl, webhookMessage, webhookTargets, WebhookSettings, WEBHOOK_TIMEOUT_MS, type WebhookTargets } from '../shared/webhooks.ts'
import { createLogger } from './logger.ts'

/** What the sender reads from its environment. */
export const SenderSettings = Type.Object({ ...WebhookSettings.properties, logLevel: CoreSettings.properties.logLevel })

/** What each of the rule's targets hands the sender: its URL and the event (an input transformer builds it). */
interface AddressedEvent { url: string, event: unknown }

function isAddressed (input: unknown): input is AddressedEvent {
  return typeof input === 'object' && input !== null && typeof (input as { url?: unknown }).url === 'string' && 'event' in input
}

/**
 * Sends one verdict event to its URL, or to every URL when it names none. An event that is not a verdict, or that
 * names a URL WEBHOOK_URLS does not hold, is logged and dropped (retrying cannot help); a URL that answered 410 Gone
 * is logged and not retried; any other failure rejects, after every URL was tried.
 */
export function createWebhookSender (targets: WebhookTargets, log: Logger, timeoutMs = WEBHOOK_TIMEOUT_MS) {
  return async (input: unknown): Promise<void> => {
    const event = isAddressed(input) ? input.event : input
    const read = recordOfEvent(event)
    if ('reason' in read) {
      log.warn({ event }, `ignoring an event that is not a verdict: ${read.reason}`)
      return
    }
    if (isAddressed(input) && !targets.urls.includes(input.url)) {
      log.error({ url: shownUrl(input.url) }, `ignoring an event for ${shownUrl(input.url)}: not one of WEBHOOK_URLS`)
      return
    }
    const urls = isAddressed(input) ? [input.url] : targets.urls
    const message = webhookMessage(read.record)
    const results = await Promise.all(urls.map(async url => ({ url: shownUrl(url), ...await sendWebhook(url, message, targets.key, timeoutMs) })))
    const fields = { webhookId: message.id, type: message.type, filename: read.record.filename }
    for (const result of results) {
      if (result.ok) log.info({ ...fields, url: result.url, status: result.status }, `webhook ${message.type} ${message.id} delivered to ${result.url}`)
      else log.error({ ...fields, url: result.url, status: result.status, error: result.error }, `webhook ${message.id} to ${result.url} failed: ${result.error}`)
    }
    const failed = results.filter(result => !result.ok && result.permanent !== true)
    if (failed.length > 0) {
      throw new Error(`${failed.length} of ${results.length} webhook deliveries of ${message.id} failed: ${failed.map(f => `${f.url}: ${f.error}`).join('; ')}`)
    }
  }
}

const settings = readSettings(SenderSettings, process.env)
const targets = webhookTargets(settings)
const log = createLogger(settings.logLevel)

/** The function the rule invokes; deployed only with WEBHOOK_URLS, so without them it has nothing to do. */
export const handler = targets === undefined
  ? async () => { log.warn({}, 'WEBHOOK_URLS is not set: nothing to send') }
  : createWebhookSender(targets, log)
