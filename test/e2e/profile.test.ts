// The column profile over real HTTP on the embedded stack: the record's summary, the whole profile one request
// away, always of the version the record describes, the answers when there is none, and a 5,000-column file.
import t from 'tap'
import { createHash } from 'node:crypto'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { buildApp } from '../../api/app.ts'
import { createServices } from '../../api/services.ts'
import { profileObjectKey } from '../../aws/profile-objects.ts'
import { FileProfile, NULL_TOKENS } from '../../shared/column-profile.ts'
import { FileMetadata, processingRecord } from '../../shared/file-record.ts'
import { uploadThroughApi, waitForVerdict } from '../../scripts/lib/upload.ts'
import { SEED } from '../helpers/sample.ts'
import { startTestStack, waitFor } from '../helpers/stack.ts'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const exact = (count: number) => ({ count, exact: true })
/** The first `examples` entry of a schema: what the OpenAPI document shows. */
const example = (schema: object) => (schema as { examples: Array<Record<string, unknown>> }).examples[0]!

t.test('profiles over HTTP', async t => {
  const { config, table, s3 } = await startTestStack(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  const settled = (name: string) => waitForVerdict(api, name, { timeoutMs: 30_000 })
  const get = async (path: string) => {
    const res = await fetch(`${api}${path}`)
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  }

  t.test('the sample file: the seed\'s fields unchanged, a summary in the record, the whole profile one request away', async t => {
    await uploadThroughApi(api, 'example.csv', SEED)
    const file = await settled('example.csv')
    t.match(file, {
      filename: 'example.csv',
      file_size_bytes: 85,
      status: 'processed',
      row_count: 2,
      column_count: 5,
      column_names: ['id', 'name', 'age', 'city', 'date'],
      warnings: [],
      etag: '38be5ecc6beab6baac6bd64c14650589',
      upload_timestamp: String,
      processed_at: String
    })
    t.equal(file.sha256, sha256(SEED))
    t.same(file.columns, [
      { name: 'id', type: 'integer', empty: 0, nulls: 0, distinct: exact(2) },
      { name: 'name', type: 'string', empty: 0, nulls: 0, distinct: exact(2) },
      { name: 'age', type: 'integer', empty: 0, nulls: 0, distinct: exact(2) },
      { name: 'city', type: 'string', empty: 0, nulls: 0, distinct: exact(2) },
      { name: 'date', type: 'date', empty: 0, nulls: 0, distinct: exact(2) }
    ])

    const { status, body } = await get('/files/example.csv/profile')
    t.equal(status, 200)
    const profile = body as unknown as FileProfile
    t.match(profile, { sha256: sha256(SEED), bytes: 85, rows: 2 })
    t.same(profile.null_tokens, [...NULL_TOKENS])
    const column = (name: string) => profile.columns.find(c => c.name === name)
    t.same(profile.columns.map(c => c.name), ['id', 'name', 'age', 'city', 'date'])
    t.match(column('id'), { type: 'integer', values: 2, empty: 0, nulls: 0, min: 1, max: 2, mean: 1.5, min_length: 1, max_length: 1, distinct: exact(2), samples: ['1', '2'] })
    t.match(column('name'), { type: 'string', values: 2, empty: 0, nulls: 0, min: null, max: null, mean: null, min_length: 4, max_length: 4, distinct: exact(2), samples: ['John', 'Jane'] })
    t.match(column('age'), { type: 'integer', values: 2, empty: 0, nulls: 0, min: 25, max: 30, mean: 27.5, min_length: 2, max_length: 2, distinct: exact(2), samples: ['25', '30'] })
    t.match(column('city'), { type: 'string', values: 2, empty: 0, nulls: 0, min: null, max: null, mean: null, min_length: 8, max_length: 11, distinct: exact(2), samples: ['New York', 'Los Angeles'] })
    t.match(column('date'), { type: 'date', values: 2, empty: 0, nulls: 0, min: '2024-01-01', max: '2024-01-02', mean: null, min_length: 10, max_length: 10, distinct: exact(2), samples: ['2024-01-01', '2024-01-02'] })
    t.ok(column('date')?.formats.includes('YYYY-MM-DD'), 'the date format is named')
    t.same(profile, example(FileProfile), 'the OpenAPI document\'s example is this very answer')
    const { sha256: documented, columns } = example(FileMetadata)
    t.same({ sha256: file.sha256, columns: file.columns }, { sha256: documented, columns }, 'and the record\'s example has this summary')
  })

  t.test('uploaded again with other content: the profile of the new version', async t => {
    const replaced = 'id,name\n1,x\n2,\n3,NA\n'
    await uploadThroughApi(api, 'example.csv', replaced)
    const file = await waitFor(async () => {
      const found = await settled('example.csv')
      return found.sha256 === sha256(replaced) ? found : undefined
    }, 30_000, 'the second version\'s record')
    const { status, body } = await get('/files/example.csv/profile')
    t.equal(status, 200)
    t.match(body, { sha256: sha256(replaced), rows: 3, columns: [{ name: 'id', type: 'integer', min: 1, max: 3 }, { name: 'name', type: 'string', values: 1, empty: 1, nulls: 1 }] })
    t.equal((body as unknown as FileProfile).columns.length, 2)
    t.same(file.columns?.map(c => c.name), ['id', 'name'])
  })

  t.test('a failed file has no profile: 409 no-profile', async t => {
    await uploadThroughApi(api, 'ragged.csv', 'a,b\n1,2,3\n')
    t.match(await settled('ragged.csv'), { status: 'failed', sha256: undefined, columns: undefined })
    const { status, body } = await get('/files/ragged.csv/profile')
    t.equal(status, 409)
    t.match(body, { code: 'no-profile', detail: /could not be read \(extra-cell\)/ })
  })

  t.test('a file still processing: 409 profile-not-ready', async t => {
    await table.put(processingRecord({ key: 'pending.csv', eventTime: new Date().toISOString(), size: 10, etag: 'abc' }))
    const { status, body } = await get('/files/pending.csv/profile')
    t.equal(status, 409)
    t.match(body, { code: 'profile-not-ready', detail: /is processing/ })
  })

  t.test('no such file: 404 file-not-found; a deleted one too', async t => {
    t.match(await get('/files/never.csv/profile'), { status: 404, body: { code: 'file-not-found' } })
    await uploadThroughApi(api, 'brief.csv', 'a\n1\n')
    await settled('brief.csv')
    t.equal((await get('/files/brief.csv/profile')).status, 200)
    await s3.send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: 'brief.csv' }))
    await waitFor(async () => (await fetch(`${api}/files/brief.csv`)).status === 404 || undefined, 30_000, 'the delete')
    t.match(await get('/files/brief.csv/profile'), { status: 404, body: { code: 'file-not-found' } })
  })

  t.test('a profile object removed from the bucket: 409 no-profile, never another version\'s', async t => {
    await uploadThroughApi(api, 'removed.csv', 'a\n1\n')
    const file = await settled('removed.csv')
    await s3.send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: profileObjectKey('removed.csv', file.etag) }))
    t.match(await get('/files/removed.csv/profile'), { status: 409, body: { code: 'no-profile', detail: /Upload it again/ } })
  })

  t.test('replaced between the record read and the profile read: the new version\'s profile, not a 409', async t => {
    await uploadThroughApi(api, 'raced.csv', 'a\n1\n')
    const old = await settled('raced.csv')
    const services = createServices(config)
    let raced = false
    const racing = await buildApp({
      config,
      services: {
        ...services,
        getProfile: async file => {
          if (!raced) {
            raced = true
            // The new version is recorded and the old version's profile deleted (as the processor prunes it) in between.
            await uploadThroughApi(api, 'raced.csv', 'a\n1\n2\n')
            await waitFor(async () => (await settled('raced.csv')).etag !== old.etag || undefined, 30_000, 'the new version')
            await s3.send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: profileObjectKey('raced.csv', old.etag) }))
          }
          return await services.getProfile(file)
        }
      }
    })
    t.teardown(() => racing.close())
    const res = await fetch(`${await racing.listen({ host: '127.0.0.1', port: 0 })}/files/raced.csv/profile`)
    t.equal(res.status, 200)
    t.match(await res.json(), { rows: 2, columns: [{ name: 'a', max: 2 }] })
  })

  t.test('5,000 columns: the record goes to the bucket whole, and the profile is served complete', async t => {
    const names = Array.from({ length: 5000 }, (_, i) => `c${i}`)
    const body = names.join(',') + '\n' +
      names.map((_, i) => String(i)).join(',') + '\n' +
      names.map((_, i) => i % 2 === 0 ? String(i + 1) : `x${i}`).join(',') + '\n'
    await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'wide.csv', Body: body }))
    const file = await settled('wide.csv')
    t.match(file, { status: 'processed', column_count: 5000, row_count: 2, sha256: sha256(body) })
    t.equal(file.details_omitted, undefined)
    t.equal(file.columns?.length, 5000, 'GET /files/{name} has every column\'s summary')
    t.same(file.columns?.[4999], { name: 'c4999', type: 'string', empty: 0, nulls: 0, distinct: exact(2) })
    t.match((await table.get('wide.csv'))?.record_object, /^\.metadata\/[0-9a-f]{64}\/[0-9a-f]{32}\.json$/, 'the summary pushed the record past one item')

    const { status, body: answered } = await get('/files/wide.csv/profile')
    t.equal(status, 200, status === 200 ? 'answered' : JSON.stringify(answered))
    const profile = answered as unknown as FileProfile
    t.match(profile, { sha256: sha256(body), rows: 2 })
    t.equal(profile.columns.length, 5000)
    t.match(profile.columns[0], { name: 'c0', type: 'integer', min: 0, max: 1 })
    t.match(profile.columns[4998], { name: 'c4998', type: 'integer', min: 4998, max: 4999 })
    t.match(profile.columns[4999], { name: 'c4999', type: 'string', samples: ['4999', 'x4999'] })

    // The listing reads an index, which follows the table shortly after: wait for it to see the verdict.
    const listed = await waitFor(async () => {
      const items = (await get('/files')).body.items as FileMetadata[]
      return items.find(item => item.filename === 'wide.csv' && item.status === 'processed')
    }, 30_000, 'wide.csv listed as processed')
    t.match(listed, { details_omitted: true, columns: undefined, sha256: sha256(body) })
  })
})
