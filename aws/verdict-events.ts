// The processor's publishVerdict port on EventBridge: one PutEvents entry per verdict, on the default bus or EVENT_BUS_NAME.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import type { Config } from '../shared/config.ts'
import { verdictEvent, type PublishVerdict } from '../shared/verdict-event.ts'
import { clientSettings } from './clients.ts'

export function createEventBridgeClient (config: Pick<Config, 'awsRegion' | 'awsEndpoint' | 'credentials'>): EventBridgeClient {
  return new EventBridgeClient(clientSettings(config))
}

/** Publishes each verdict on `eventBusName` (the account's default bus when undefined); rejects unless it was accepted. */
export function eventBridgePublisher (client: EventBridgeClient, eventBusName: string | undefined): PublishVerdict {
  return async record => {
    const event = verdictEvent(record)
    const { FailedEntryCount, Entries } = await client.send(new PutEventsCommand({
      Entries: [{
        Source: event.source,
        DetailType: event.detailType,
        Detail: event.detail,
        Time: event.time,
        ...(eventBusName === undefined ? {} : { EventBusName: eventBusName })
      }]
    }))
    // PutEvents answers 200 with a per-entry error (throttling, a missing bus) rather than failing the call.
    if (FailedEntryCount !== 0) {
      const [entry] = Entries ?? []
      throw new EventBusError(`EventBridge did not accept the event of ${record.filename}: ${entry?.ErrorCode ?? 'unknown error'}${entry?.ErrorMessage === undefined ? '' : ` (${entry.ErrorMessage})`}`)
    }
  }
}

export class EventBusError extends Error {
  override name = 'EventBusError'
  readonly code = 'event-not-published'
}
