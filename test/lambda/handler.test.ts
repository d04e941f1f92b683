// The Lambda handler with real S3 event JSON against the emulators: key decoding, every record, retries on failure.
import t from 'tap'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import type { S3Event } from 'aws-lambda'
import { encodeEventKey } from '../../shared/s3-event-key.ts'
import { startEmulator } from '../helpers/stack.ts'
import { SEED } from '../helpers/sample.ts'

/** An event as S3 delivers it (abridged to the fields S3 always sends). */
function s3Event (bucket: string, records: Array<{ key: string, eventName?: string, size?: number, eTag?: string, sequencer?: string }>): S3Event {
  return {
    Records: records.map(({ key, eventName = 'ObjectCreated:Put', size = 85, eTag = 'abc', sequencer = '0055AED6DCD90281E5' }) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2026-11-24T10:30:45.000Z',
      eventName,
      userIdentity: { principalId: 'AWS:EXAMPLE' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': 'EXAMPLE', 'x-amz-id-2': 'EXAMPLE' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'csv-uploads',
        bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeEventKey(key), size, eTag, sequencer }
      }
    }))
  }
}

t.test('handler', async t => {
  const { config, s3, table } = await startEmulator(t)
  const logged: string[] = []
  const { createHandler } = await import('../../lambda/handler.ts')
  const { createLogger } = await import('../../lambda/logger.ts')
  const { createProcessDeps } = await import('../../aws/process-deps.ts')
  const handler = createHandler(config, createLogger('info', { write: line => { logged.push(line) } }))

  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: body }))

  t.test('decodes keys as S3 encodes them and processes every record', async t => {
    const keys = ['my file (1).csv', 'a+b%c.csv', 'dir/été.csv']
    for (const key of keys) await put(key, SEED)
    await handler(s3Event(config.bucketName, keys.map(key => ({ key }))))
    for (const key of keys) t.match(await table.get(key), { filename: key, status: 'processed', row_count: 2 }, key)
  })

  t.test('ignores the s3:TestEvent', async t => {
    await handler({ Event: 's3:TestEvent' })
    t.match(logged.join(''), /ignoring s3:TestEvent/)
  })

  t.test('ObjectRemoved forgets the file; a replayed older ObjectCreated does not bring it back', async t => {
    await put('removed.csv', SEED)
    await handler(s3Event(config.bucketName, [{ key: 'removed.csv', sequencer: '0055AED6DCD90281E5' }]))
    t.match(await table.get('removed.csv'), { status: 'processed' })
    await handler(s3Event(config.bucketName, [{ key: 'removed.csv', eventName: 'ObjectRemoved:Delete', sequencer: '0055AED6DCD90281F0' }]))
    t.equal(await table.get('removed.csv'), undefined)
    await handler(s3Event(config.bucketName, [{ key: 'removed.csv', sequencer: '0055AED6DCD90281E5' }]))
    t.equal(await table.get('removed.csv'), undefined)
  })

  t.test('sequencers of different lengths compare as S3 says: right-padded with zeros', async t => {
    await put('padded.csv', SEED)
    await handler(s3Event(config.bucketName, [{ key: 'padded.csv', sequencer: '0055AED6DCD90281F0' }]))
    // Shorter but, padded, greater: this later delete applies.
    await handler(s3Event(config.bucketName, [{ key: 'padded.csv', eventName: 'ObjectRemoved:Delete', sequencer: '0055AED6DCD9029' }]))
    t.equal(await table.get('padded.csv'), undefined)
  })

  t.test('a record that cannot be recorded fails the invocation after the others are done, its cause in the message', async t => {
    await put('fine.csv', SEED)
    // One port swapped: x.csv is read from a bucket that does not exist, as if S3 failed for that object alone.
    const log = createLogger('info', { write: line => { logged.push(line) } })
    const deps = createProcessDeps(config, log)
    const failing = createHandler(config, log, { ...deps, readObject: (bucket, key, etag) => deps.readObject(key === 'x.csv' ? 'no-such-bucket' : bucket, key, etag) })
    const event = s3Event(config.bucketName, [{ key: 'x.csv' }, { key: 'fine.csv' }])
    await t.rejects(failing(event), { name: 'AggregateError', message: /^1 of 2 records failed: x\.csv: NoSuchBucket: \S/ }, 'the cause survives into the dead letter')
    t.match(await table.get('fine.csv'), { status: 'processed' }, 'the healthy record was still processed')
    const error = logged.map(line => JSON.parse(line)).find(line => line.level === 'error')
    t.match(error, { time: /^\d{4}-\d\d-\d\dT/, msg: 'processing x.csv failed; the invocation will be retried', key: 'x.csv', err: { type: 'NoSuchBucket', stack: /NoSuchBucket: / } },
      'one line with the error and its stack')
  })
})
