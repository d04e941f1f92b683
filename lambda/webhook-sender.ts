// The webhook sender on AWS: an EventBridge rule invokes it with each verdict event; it POSTs the signed message to
// every WEBHOOK_URLS at once and throws when one failed, so Lambda retries the event and then keeps it in the queue.
import Type from 'typebox'
import { CoreSettings, readSettings } from '../shared/config.ts'
import type { Logger } from '../shared/logger.ts'
import { recordOfEvent } from '../shared/verdict-event.ts'
import { sendWebhook, shownUrl, webhookMessage, webhookTargets, WebhookSettings, WEBHOOK_TIMEOUT_MS, type WebhookTargets } from '../shared/webhooks.ts'
import { createLogger } from './logger.ts'

/** What the sender reads from its environment. */
export const SenderSettings = Type.Object({ ...WebhookSettings.properties, logLevel: CoreSettings.properties.logLevel })

/**
 * Sends one verdict event to every URL. An event that is not a verdict is logged and dropped (retrying cannot help);
 * a URL that answered 410 Gone is logged and not retried; any other failure rejects, after every URL was tried.
 */
export function createWebhookSender (targets: WebhookTargets, log: Logger, timeoutMs = WEBHOOK_TIMEOUT_MS) {
  return async (event: unknown): Promise<void> => {
    const read = recordOfEvent(event)
    if ('reason' in read) {
      log.warn({ event }, `ignoring an event that is not a verdict: ${read.reason}`)
      return
    }
    const message = webhookMessage(read.record)
    const results = await Promise.all(targets.urls.map(async url => ({ url: shownUrl(url), ...await sendWebhook(url, message, targets.key, timeoutMs) })))
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
