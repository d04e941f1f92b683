// The S3-triggered Lambda handler: clients built once per container, each record handed to processObject.
import type { Context, S3Event } from 'aws-lambda'
import { createProcessDeps } from '../aws/process-deps.ts'
import { loadConfig, type Config } from '../shared/config.ts'
import type { Logger } from '../shared/logger.ts'
import { processObject, removeObject } from '../shared/process-object.ts'
import { decodeEventKey } from '../shared/s3-event-key.ts'
import { orderingKey } from '../shared/sequencer.ts'
import { createLogger } from './logger.ts'

/** What S3 sends once when a notification is configured. */
interface TestEvent { Event: 's3:TestEvent' }

export type Handler = (event: S3Event | TestEvent, context?: Pick<Context, 'awsRequestId'>) => Promise<void>

/**
 * A handler that processes every record (ObjectCreated: extract the metadata; ObjectRemoved: forget the file);
 * if any could not be recorded, it throws after the others so Lambda retries.
 */
export function createHandler (config: Config, log: Logger = createLogger(config.logLevel)): Handler {
  const deps = createProcessDeps(config, log)
  return async (event, context) => handle(deps, event, context)
}

/** The function Lambda calls: its configuration from the environment, its clients built once per container. */
export const handler = createHandler(loadConfig())

async function handle (deps: ReturnType<typeof createProcessDeps>, event: S3Event | TestEvent, context?: Pick<Context, 'awsRequestId'>): Promise<void> {
  const logger = deps.logger.child({ requestId: context?.awsRequestId })
  if ('Event' in event) {
    logger.info({ event: event.Event }, 'ignoring s3:TestEvent')
    return
  }
  const failures: unknown[] = []
  for (const record of event.Records) {
    const key = decodeEventKey(record.s3.object.key)
    const object = {
      bucket: record.s3.bucket.name,
      key,
      eventTime: record.eventTime,
      orderingKey: orderingKey(record.s3.object.sequencer)
    }
    try {
      if (record.eventName.startsWith('ObjectCreated:')) {
        await processObject({ ...deps, logger }, { ...object, size: record.s3.object.size, etag: record.s3.object.eTag })
      } else if (record.eventName.startsWith('ObjectRemoved:')) {
        await removeObject({ ...deps, logger }, object)
      } else {
        logger.info({ eventName: record.eventName, key }, `ignoring ${record.eventName} for ${key}`)
      }
    } catch (err) {
      logger.error({ key, err }, `processing ${key} failed; the invocation will be retried`)
      failures.push(err)
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${event.Records.length} records failed`)
}
