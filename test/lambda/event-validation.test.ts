// The handler checks every field of an event it uses: a bad record is logged with its content and skipped, never
// stored, and never blocks the records after it or later uploads of its key.
import t from 'tap'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { buildApp } from '../../api/app.ts'
import { createHandler } from '../../lambda/handler.ts'
import { createLogger } from '../../lambda/logger.ts'
import { encodeEventKey } from '../../shared/s3-event-key.ts'
import { startEmulator } from '../helpers/stack.ts'
import { SEED } from '../helpers/sample.ts'

interface Fields { key: string, bucket?: string, eventName?: string, eventTime?: unknown, size?: unknown, eTag?: unknown, sequencer?: unknown }

/** One record as S3 sends it, any field replaceable by what a hostile or broken sender might put there. */
function record ({ key, bucket = 'test-bucket', eventName = 'ObjectCreated:Put', eventTime = '2026-11-24T10:30:45.123Z', size = SEED.length, eTag = 'abc', sequencer = '0055AED6DCD90281E5' }: Fields) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime,
    eventName,
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodeEventKey(key), size, eTag, sequencer }
    }
  }
}

t.test('event validation', async t => {
  const { config, s3, table } = await startEmulator(t)
  const lines: Array<Record<string, unknown>> = []
  const handler = createHandler(config, createLogger('info', { write: line => { lines.push(JSON.parse(line)) } }))
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const put = (key: string) => s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: SEED }))
  const skipped = () => lines.filter(line => line.level === 'warn' && String(line.msg).startsWith('skipping an S3 event record'))

  t.test('fields of the wrong type or shape are skipped, logged with the record, and never stored', async t => {
    const withoutSize = record({ key: 'nosize.csv' })
    delete (withoutSize.s3.object as { size?: unknown }).size
    const cases: Array<[string, object, RegExp]> = [
      ['huge.csv', record({ key: 'huge.csv', size: 'huge' }), /\/s3\/object\/size must be integer/],
      ['negative.csv', record({ key: 'negative.csv', size: -1 }), /\/s3\/object\/size must be >= 0/],
      ['float.csv', record({ key: 'float.csv', size: 1.5 }), /size must be integer/],
      ['zzz.csv', record({ key: 'zzz.csv', sequencer: 'ZZZZZZZZZZZZZZZZ' }), /sequencer must match pattern/],
      ['wide.csv', record({ key: 'wide.csv', sequencer: 'F'.repeat(65) }), /sequencer must match pattern/],
      ['when.csv', record({ key: 'when.csv', eventTime: 'yesterday' }), /eventTime must match format/],
      ['leap.csv', record({ key: 'leap.csv', eventTime: '2026-12-31T23:59:60Z' }), /eventTime "2026-12-31T23:59:60Z" is not a date/],
      ['etag.csv', record({ key: 'etag.csv', eTag: { $ne: 1 } }), /eTag must be string/],
      ['nosize.csv', withoutSize, /has no s3\.object\.size/]
    ]
    for (const [key, bad, reason] of cases) {
      lines.length = 0
      await handler({ Records: [bad] })
      t.equal(await table.get(key), undefined, `${key}: nothing stored`)
      t.match(skipped(), [{ msg: reason, record: { s3: { object: { key } } } }], `${key}: logged with its content`)
    }
    lines.length = 0
    await handler({ Records: [{ ...record({ key: 'bad-key.csv' }), s3: { ...record({ key: 'x' }).s3, object: { key: '%E0%A4%A', size: 1 } } }] })
    t.match(skipped(), [{ msg: /s3\.object\.key is not URL-encoded text/ }])
    lines.length = 0
    await handler({ Records: [record({ key: `${'é'.repeat(511)}.csv` })] })
    t.match(skipped(), [{ msg: /s3\.object\.key is longer than S3 allows \(1024 bytes\)/ }])
    t.same((await app.inject('/files')).json(), { items: [], nextCursor: null }, 'GET /files still answers')
  })

  t.test('another bucket\'s upload does not touch this bucket\'s record', async t => {
    await put('shared-name.csv')
    await handler({ Records: [record({ key: 'shared-name.csv' })] })
    const before = await table.get('shared-name.csv')
    t.match(before, { status: 'processed', row_count: 2 })
    lines.length = 0
    await handler({ Records: [record({ key: 'shared-name.csv', bucket: 'other-bucket', sequencer: '0055AED6DCD90281F9', size: 1 })] })
    t.same(await table.get('shared-name.csv'), before)
    t.match(skipped(), [{ msg: /the bucket "other-bucket" is not this service's bucket "test-bucket"/ }])
  })

  t.test('a malformed first record neither throws nor stops the valid ones after it', async t => {
    await put('after-garbage.csv')
    lines.length = 0
    await handler({ Records: [null, 'garbage', { s3: {} }, record({ key: 'after-garbage.csv' })] })
    t.match(await table.get('after-garbage.csv'), { status: 'processed', row_count: 2, upload_timestamp: '2026-11-24T10:30:45.123Z' })
    t.equal(skipped().length, 3, 'each bad record has its log line')
  })

  t.test('a forged sequencer does not block the genuine uploads that follow', async t => {
    await handler({ Records: [record({ key: 'forged.csv', sequencer: 'ZZZZZZZZZZZZZZZZ', size: 1 })] })
    await put('forged.csv')
    await handler({ Records: [record({ key: 'forged.csv', sequencer: '0055AED6DCD90281E5' })] })
    t.match(await table.get('forged.csv'), { status: 'processed', row_count: 2 })
  })

  t.test('an event with both Event and Records is handled by its records', async t => {
    await put('both.csv')
    await handler({ Event: 's3:TestEvent', Records: [record({ key: 'both.csv' })] })
    t.match(await table.get('both.csv'), { status: 'processed' })
  })

  t.test('something that is not an S3 notification is logged and ignored', async t => {
    lines.length = 0
    for (const event of [null, 42, { Records: 'x' }, { hello: 'world' }]) await handler(event)
    t.equal(lines.filter(line => line.level === 'warn' && /not an S3 notification/.test(String(line.msg))).length, 4)
  })

  t.test('events the handler has no use for are ignored with one line', async t => {
    lines.length = 0
    await handler({ Records: [record({ key: 'restored.csv', eventName: 'ObjectRestore:Completed' })] })
    t.equal(await table.get('restored.csv'), undefined)
    t.match(lines, [{ level: 'info', key: 'restored.csv', msg: /the handler does nothing on ObjectRestore:Completed/ }])
  })

  t.test('keys under .metadata/ are the service\'s own: skipped with one line, no record', async t => {
    lines.length = 0
    await handler({ Records: [record({ key: '.metadata/abc/def.json' })] })
    t.equal(await table.get('.metadata/abc/def.json'), undefined)
    t.match(lines, [{ level: 'info', key: '.metadata/abc/def.json', msg: /ignoring the event for \.metadata\/abc\/def\.json/ }])
  })
})
