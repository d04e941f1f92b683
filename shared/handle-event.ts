// What one S3 event notification does. Each record is checked against the fields the handler reads, then handed
// to processObject or removeObject. A record that does not check out is logged with its content and skipped: it
// is never stored, and it never stops the records after it or later uploads of its key.
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import { isRecordObjectKey } from './file-record.ts'
import { processObject, removeObject, type CreatedObject, type ProcessDeps, type RemovedObject } from './process-object.ts'
import { decodeEventKey } from './s3-event-key.ts'
import { orderingKey } from './sequencer.ts'
import { MAX_KEY_BYTES } from './s3-object.ts'

/** The fields of an S3 event record that are read, and what each must be. */
const S3EventRecord = Compile(Type.Object({
  eventName: Type.String(),
  eventTime: Type.String({ format: 'date-time' }),
  s3: Type.Object({
    bucket: Type.Object({ name: Type.String() }),
    object: Type.Object({
      key: Type.String({ minLength: 1 }),
      size: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      // ETags are hexadecimal, with "-<parts>" after a multipart upload; some emulators leave it out of copies.
      eTag: Type.Optional(Type.String({ pattern: '^"?[0-9A-Za-z-]{1,64}"?$' })),
      // Hexadecimal, and no wider than the ordering key it is padded to (./sequencer.ts).
      sequencer: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{1,64}$' }))
    })
  })
}))

/** One record of an event, checked: what to do with it. */
export type CheckedRecord =
  | { action: 'create', object: CreatedObject }
  | { action: 'remove', object: RemovedObject }
  | { action: 'ignore', key: string, reason: string }
  | { action: 'reject', record: unknown, reason: string }

/**
 * The records of `event`, each checked; undefined when the event has none (S3's one-off s3:TestEvent, or not an
 * S3 notification at all). An event with both `Event` and `Records` is judged by its records.
 */
export function checkEvent (event: unknown, bucket: string): CheckedRecord[] | undefined {
  const records = (event as { Records?: unknown } | null)?.Records
  return Array.isArray(records) ? records.map(record => checkRecord(record, bucket)) : undefined
}

function checkRecord (record: unknown, bucket: string): CheckedRecord {
  const reject = (reason: string): CheckedRecord => ({ action: 'reject', record, reason })
  if (!S3EventRecord.Check(record)) {
    const [first] = S3EventRecord.Errors(record)
    return reject(`${first?.instancePath || 'the record'} ${first?.message ?? 'is not an S3 event record'}`)
  }
  const { eventName, eventTime, s3 } = record
  if (Number.isNaN(Date.parse(eventTime))) return reject(`eventTime ${JSON.stringify(eventTime)} is not a date`)
  if (s3.bucket.name !== bucket) return reject(`the bucket ${JSON.stringify(s3.bucket.name)} is not this service's bucket ${JSON.stringify(bucket)}`)
  let key: string
  try {
    key = decodeEventKey(s3.object.key)
  } catch {
    return reject('s3.object.key is not URL-encoded text')
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return reject(`s3.object.key is longer than S3 allows (${MAX_KEY_BYTES} bytes)`)
  if (isRecordObjectKey(key)) return { action: 'ignore', key, reason: 'it is where this service keeps a record too large for the table' }
  const removed = { bucket, key, eventTime, orderingKey: orderingKey(s3.object.sequencer) }
  if (eventName.startsWith('ObjectRemoved:')) return { action: 'remove', object: removed }
  if (!eventName.startsWith('ObjectCreated:')) return { action: 'ignore', key, reason: `the handler does nothing on ${eventName}` }
  if (s3.object.size === undefined) return reject('an ObjectCreated record has no s3.object.size')
  return { action: 'create', object: { ...removed, size: s3.object.size, etag: s3.object.eTag ?? '' } }
}

/**
 * Handles every record of `event` for the configured `bucket`. Records that are malformed, about another bucket
 * or about this service's own objects are logged and skipped. If any valid record could not be recorded (S3 or
 * DynamoDB failing), it throws after the others, with every cause in its message, so the invocation is retried
 * and a dead letter says why.
 */
export async function handleEvent (deps: ProcessDeps, event: unknown, bucket: string): Promise<void> {
  const records = checkEvent(event, bucket)
  if (records === undefined) {
    const name = (event as { Event?: unknown } | null)?.Event
    if (name === 's3:TestEvent') deps.logger.info({ event: name }, 'ignoring s3:TestEvent')
    else deps.logger.warn({ event }, 'ignoring an event that is not an S3 notification: it has no Records')
    return
  }
  const failures: Array<{ key: string, err: unknown }> = []
  for (const record of records) {
    if (record.action === 'reject') {
      deps.logger.warn({ record: record.record }, `skipping an S3 event record: ${record.reason}`)
    } else if (record.action === 'ignore') {
      deps.logger.info({ key: record.key }, `ignoring the event for ${record.key}: ${record.reason}`)
    } else {
      const { key } = record.object
      try {
        if (record.action === 'create') await processObject(deps, record.object)
        else await removeObject(deps, record.object)
      } catch (err) {
        deps.logger.error({ key, err }, `processing ${key} failed; the invocation will be retried`)
        failures.push({ key, err })
      }
    }
  }
  if (failures.length > 0) {
    const causes = failures.map(({ key, err }) => `${key}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
    throw new AggregateError(failures.map(f => f.err), `${failures.length} of ${records.length} records failed: ${causes.join('; ')}`)
  }
}
