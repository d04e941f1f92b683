// The S3-triggered Lambda handler: clients built once per container, each record handed to processObject.
import type { S3Event } from 'aws-lambda'
import { loadConfig } from '../shared/config.ts'
import { decodeEventKey } from '../shared/s3-event-key.ts'
import { orderingKey } from '../shared/sequencer.ts'
import { createProcessDeps } from './deps.ts'
import { processObject, removeObject } from './process-object.ts'

/** What S3 sends once when a notification is configured. */
interface TestEvent { Event: 's3:TestEvent' }

const deps = createProcessDeps(loadConfig())
const { logger } = deps

/**
 * Processes every record (ObjectCreated: extract the metadata; ObjectRemoved: forget the file); if any could
 * not be recorded, throws after the others so Lambda retries.
 */
export async function handler (event: S3Event | TestEvent): Promise<void> {
  if ('Event' in event) {
    logger.info('ignoring s3:TestEvent')
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
        await processObject(deps, { ...object, size: record.s3.object.size, etag: record.s3.object.eTag })
      } else if (record.eventName.startsWith('ObjectRemoved:')) {
        await removeObject(deps, object)
      } else {
        logger.info('ignoring event', { eventName: record.eventName, key })
      }
    } catch (err) {
      logger.error('processing failed; the invocation will be retried', { key, error: String(err) })
      failures.push(err)
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${event.Records.length} records failed`)
}
