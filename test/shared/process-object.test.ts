// processObject against the real emulators: processed and failed records, and failures that must be retried.
import t from 'tap'
import { PutObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3'
import { processObject, removeObject, type ProcessDeps } from '../../shared/process-object.ts'
import { readObject } from '../../aws/object-reader.ts'
import { getProfileObject, putProfileObject } from '../../aws/profile-objects.ts'
import { pruneVersionObjects } from '../../aws/large-records.ts'
import { createLogger } from '../../lambda/logger.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { orderingKey } from '../../shared/sequencer.ts'
import { startEmulator } from '../helpers/stack.ts'
import { SEED } from '../helpers/sample.ts'

t.test('processObject', async t => {
  const { config, s3, table } = await startEmulator(t)
  const lines: string[] = []
  const saved: FileMetadata[] = []
  const writes: string[] = []
  const published: FileMetadata[] = []
  const pruned: Array<{ filename: string, keep: string | undefined, before: Date }> = []
  const deps: ProcessDeps = {
    readObject: (bucket, key) => readObject(s3, bucket, key),
    saveRecord: async (record, orderingKey) => { saved.push(record); return table.put(record, orderingKey) },
    markDeleted: (key, deletedAt, orderingKey) => table.markDeleted(key, deletedAt, orderingKey),
    saveProfile: async (record, profile) => { writes.push(`profile of ${record.etag}`); await putProfileObject(s3, config.bucketName, record.filename, record.etag, profile) },
    pruneVersions: async (filename, keep, before) => {
      pruned.push({ filename, keep, before })
      return await pruneVersionObjects(s3, config.bucketName, filename, keep, before)
    },
    publishVerdict: async record => { published.push(record) },
    logger: createLogger('info', { write: line => { lines.push(line) } }),
    limits: DEFAULT_LIMITS
  }
  const upload = async (key: string, body: string | Buffer) => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: body }))
    return { bucket: config.bucketName, key, eventTime: '2026-11-24T10:30:45.000Z', size: Buffer.byteLength(body), etag: ETag! }
  }

  t.test('a valid CSV is marked processing, then processed with its metadata', async t => {
    saved.length = 0
    const object = await upload('example.csv', SEED)
    const record = (await processObject(deps, object))!
    t.same(saved.map(r => r.status), ['processing', 'processed'])
    t.match(record, {
      filename: 'example.csv',
      upload_timestamp: '2026-11-24T10:30:45.000Z',
      file_size_bytes: 85,
      row_count: 2,
      column_count: 5,
      column_names: ['id', 'name', 'age', 'city', 'date'],
      status: 'processed',
      etag: /^[0-9a-f]{32}$/
    })
    const { updated_at: stamped, ...stored } = (await table.get('example.csv'))!
    t.same(stored, record, 'the stored record is the returned one')
    t.match(stamped, /^\d{4}-\d\d-\d\dT.*Z$/, 'the table stamps when it wrote it')
    t.match(JSON.parse(lines.at(-1)!), { level: 'info', msg: /^processed example.csv: 2 rows, 5 columns in \d+ ms$/, key: 'example.csv', status: 'processed', row_count: 2 })
  })

  t.test('the whole profile is written before the verdict, under its version, and the record keeps its summary', async t => {
    writes.length = 0
    const record = (await processObject({ ...deps, saveRecord: async (r, key) => { writes.push(r.status); return table.put(r, key) } }, await upload('profiled.csv', SEED)))!
    t.same(writes, ['processing', `profile of ${record.etag}`, 'processed'])
    const profile = await getProfileObject(s3, config.bucketName, 'profiled.csv', record.etag)
    t.match(profile, { sha256: record.sha256, rows: 2, columns: [{ name: 'id', type: 'integer' }, { name: 'name' }, { name: 'age' }, { name: 'city' }, { name: 'date', type: 'date' }] })
    t.same(record.columns?.map(c => c.name), ['id', 'name', 'age', 'city', 'date'])
    t.equal(await getProfileObject(s3, config.bucketName, 'profiled.csv', 'another-etag'), undefined, 'no other version has one')
  })

  t.test('a replaced version\'s objects are deleted once the new one is recorded, and only those written 5 s before', async t => {
    const first = (await processObject(deps, await upload('replaced.csv', SEED)))!
    t.ok(await getProfileObject(s3, config.bucketName, 'replaced.csv', first.etag), 'the first version\'s profile is kept')
    const startedAt = Date.now()
    // As if the first version had been written a minute ago: S3 dates objects itself, so the bound moves instead.
    let bound: { filename: string, keep: string | undefined, before: Date } | undefined
    const aMinuteLater: ProcessDeps = {
      ...deps,
      pruneVersions: async (filename, keep, before) => {
        bound = { filename, keep, before }
        return await pruneVersionObjects(s3, config.bucketName, filename, keep, new Date(before.getTime() + 60_000))
      }
    }
    const second = (await processObject(aMinuteLater, await upload('replaced.csv', `${SEED}6,Zoe,41,Oslo,2026-11-24\n`)))!
    t.not(second.etag, first.etag)
    t.match(bound, { filename: 'replaced.csv', keep: second.etag })
    t.ok(bound!.before.getTime() >= startedAt - 5000 && bound!.before.getTime() <= Date.now() - 5000, 'the bound is 5 s before the event was handled')
    t.equal(await getProfileObject(s3, config.bucketName, 'replaced.csv', first.etag), undefined, 'the first version\'s profile is gone')
    t.ok(await getProfileObject(s3, config.bucketName, 'replaced.csv', second.etag), 'the second one\'s stays')
    t.match(lines.map(line => JSON.parse(line) as { msg: string }).at(-1), { msg: 'deleted 1 objects of replaced versions of replaced.csv' })
  })

  t.test('a version written within 5 s of the next one\'s event stays, for the version after to delete', async t => {
    const first = (await processObject(deps, await upload('quick.csv', SEED)))!
    await processObject(deps, await upload('quick.csv', 'x\n1\n'))
    t.ok(await getProfileObject(s3, config.bucketName, 'quick.csv', first.etag))
  })

  t.test('objects that cannot be deleted leave a warning; the verdict stands', async t => {
    const stuck: ProcessDeps = { ...deps, pruneVersions: () => Promise.reject(new Error('AccessDenied')) }
    const record = await processObject(stuck, await upload('stuck.csv', SEED))
    t.match(record, { status: 'processed' })
    t.match(JSON.parse(lines.at(-1)!), { level: 'warn', key: 'stuck.csv', msg: 'the objects of replaced versions of stuck.csv were not deleted; the next version of the file deletes them' })
  })

  t.test('a deleted file\'s objects are all deleted; a late delete deletes nothing', async t => {
    const object = { ...await upload('removed.csv', SEED), orderingKey: orderingKey('D1') }
    const record = (await processObject(deps, object))!
    pruned.length = 0
    const eventTime = new Date(Date.now() + 60_000).toISOString()
    await removeObject(deps, { bucket: object.bucket, key: 'removed.csv', eventTime, orderingKey: orderingKey('D2') })
    t.same(pruned, [{ filename: 'removed.csv', keep: undefined, before: new Date(Date.parse(eventTime) - 5000) }])
    t.equal(await getProfileObject(s3, config.bucketName, 'removed.csv', record.etag), undefined)
    await removeObject(deps, { bucket: object.bucket, key: 'removed.csv', eventTime, orderingKey: orderingKey('D0') })
    t.equal(pruned.length, 1, 'an older delete event prunes nothing')
  })

  t.test('when the profile cannot be kept, no verdict is recorded and processObject rejects for a retry', async t => {
    const failing: ProcessDeps = { ...deps, saveProfile: () => Promise.reject(new Error('S3 unreachable')) }
    await t.rejects(processObject(failing, await upload('unprofiled.csv', SEED)), { message: 'S3 unreachable' })
    t.match(await table.get('unprofiled.csv'), { status: 'processing' })
  })

  t.test('invalid content ends as failed with a code, a message and a line', async t => {
    const record = (await processObject(deps, await upload('ragged.csv', 'a,b\n1,2\n3\n')))!
    t.match(record, { status: 'failed', error: { code: 'missing-cell', line: 3, message: /Line 3 has 1 fields but the header has 2/ } })
    t.equal(record.row_count, undefined)
    t.match(await table.get('ragged.csv'), { status: 'failed', error: { code: 'missing-cell' } })
  })

  t.test('an object deleted before it is read ends as failed with object-missing', async t => {
    const object = await upload('gone.csv', SEED)
    await s3.send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: 'gone.csv' }))
    const record = await processObject(deps, object)
    t.match(record, { status: 'failed', error: { code: 'object-missing', message: /no longer exists/ } })
  })

  t.test('the same event delivered twice leaves one correct record', async t => {
    const object = { ...await upload('twice.csv', SEED), orderingKey: orderingKey('0055AED6DCD90281E5') }
    const first = await processObject(deps, object)
    const second = await processObject(deps, object)
    t.match(second, { status: 'processed', row_count: 2 })
    t.same({ ...second, processed_at: '' }, { ...first, processed_at: '' })
    t.match(await table.get('twice.csv'), { status: 'processed', row_count: 2 })
  })

  t.test('an older event arriving after a newer one changes nothing', async t => {
    const newer = { ...await upload('ordered.csv', 'a,b\n1,2\n3,4\n5,6\n'), orderingKey: orderingKey('0055AED6DCD90281F0') }
    t.match(await processObject(deps, newer), { row_count: 3 })
    const older = { ...newer, orderingKey: orderingKey('0055AED6DCD90281E5'), etag: 'older' }
    t.equal(await processObject(deps, older), undefined, 'the late event is a no-op')
    t.match(await table.get('ordered.csv'), { row_count: 3, etag: newer.etag.replace(/"/g, '') })
    t.match(lines.at(-1), /event ignored: a newer one for this key was already recorded/)
  })

  t.test('a result is dropped when a newer event recorded the key while the file was read', async t => {
    const object = { ...await upload('raced.csv', SEED), orderingKey: orderingKey('1000') }
    const racing: ProcessDeps = {
      ...deps,
      readObject: async (bucket, key, etag) => {
        await table.put({ ...(await table.get(key))!, status: 'processing', etag: 'newer' }, orderingKey('2000'))
        return readObject(s3, bucket, key, etag)
      }
    }
    t.equal(await processObject(racing, object), undefined)
    t.match(await table.get('raced.csv'), { status: 'processing', etag: 'newer' }, 'the newer event\'s record stands')
  })

  t.test('a deleted file disappears, and a late ObjectCreated does not bring it back', async t => {
    const object = { ...await upload('deleted.csv', SEED), orderingKey: orderingKey('A0') }
    await processObject(deps, object)
    await removeObject(deps, { bucket: object.bucket, key: 'deleted.csv', eventTime: '2026-11-24T11:00:00.000Z', orderingKey: orderingKey('A1') })
    t.equal(await table.get('deleted.csv'), undefined)
    t.notOk((await table.list(1000)).items.some(item => item.filename === 'deleted.csv'), 'not listed')
    t.equal(await processObject(deps, object), undefined, 'the replayed create is older than the delete')
    t.equal(await table.get('deleted.csv'), undefined)
  })

  t.test('a new upload after a delete is processed again', async t => {
    const object = { ...await upload('deleted.csv', 'x\n1\n'), orderingKey: orderingKey('A2') }
    t.match(await processObject(deps, object), { status: 'processed', row_count: 1 })
    t.match(await table.get('deleted.csv'), { row_count: 1 })
  })

  t.test('when the verdict cannot be recorded, processObject rejects so the invocation is retried', async t => {
    const object = await upload('unrecorded.csv', SEED)
    const failing: ProcessDeps = { ...deps, saveRecord: () => Promise.reject(new Error('DynamoDB unreachable')) }
    await t.rejects(processObject(failing, object), { message: 'DynamoDB unreachable' })
  })

  t.test('DynamoDB unreachable: processing fails loudly, and a later reconcile completes the file', async t => {
    const { freePort } = await import('../helpers/stack.ts')
    const { createDocumentClient } = await import('../../aws/clients.ts')
    const { MetadataTable } = await import('../../aws/metadata-table.ts')
    const { reconcile } = await import('../../aws/reconcile.ts')
    const down = new MetadataTable(createDocumentClient({ ...config, awsEndpoint: `http://127.0.0.1:${await freePort()}` }), config.tableName)
    const object = await upload('outage.csv', SEED)
    const failing: ProcessDeps = { ...deps, saveRecord: (record, key) => down.put(record, key) }
    await t.rejects(processObject(failing, object), { code: 'ECONNREFUSED' })
    t.equal(await table.get('outage.csv'), undefined, 'nothing was recorded')

    const { failures } = await reconcile({ s3, table, bucket: config.bucketName, stuckBefore: new Date() }, {
      redrive: async listed => { await processObject(deps, { bucket: config.bucketName, key: listed.key, eventTime: listed.lastModified.toISOString(), size: listed.size, etag: listed.etag }) },
      forget: async key => { await table.markDeleted(key, new Date().toISOString()) }
    })
    t.same(failures, [])
    t.match(await table.get('outage.csv'), { status: 'processed', row_count: 2 })
  })

  t.test('each verdict is published once it is recorded; a late event publishes nothing', async t => {
    published.length = 0
    const object = { ...await upload('published.csv', SEED), orderingKey: orderingKey('B1') }
    const record = await processObject(deps, object)
    t.same(published, [record], 'the final record, and not the processing one')
    t.match(await table.get('published.csv'), { status: 'processed', processed_at: record!.processed_at }, 'written before it was published')
    const failed = await processObject(deps, { ...await upload('published-empty.csv', ''), orderingKey: orderingKey('B1') })
    t.same(published.map(r => r.status), ['processed', 'failed'])
    t.equal(failed?.status, 'failed')
    t.equal(await processObject(deps, { ...object, orderingKey: orderingKey('B0') }), undefined)
    t.equal(published.length, 2, 'the stale event published nothing')
  })

  t.test('a verdict that cannot be published rejects, so the event is retried and published then', async t => {
    const object = { ...await upload('unpublished.csv', SEED), orderingKey: orderingKey('C1') }
    const down: ProcessDeps = { ...deps, publishVerdict: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'EventBusError' })) }
    await t.rejects(processObject(down, object), { message: 'the verdict on unpublished.csv was recorded but not published (EventBusError: connect ECONNREFUSED)' })
    t.match(await table.get('unpublished.csv'), { status: 'processed' }, 'the verdict stands')
    published.length = 0
    const retried = await processObject(deps, object)
    t.same(published, [retried], 'the redelivered event publishes it')
  })

  t.test('an S3 failure other than a missing object is not turned into a verdict', async t => {
    const object = await upload('other.csv', SEED)
    const failing: ProcessDeps = { ...deps, readObject: (_bucket, key) => readObject(s3, 'no-such-bucket', key) }
    await t.rejects(processObject(failing, object))
    t.match(await table.get('other.csv'), { status: 'processing' }, 'the record stays processing for a retry to finish')
  })
})
