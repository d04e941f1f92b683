// /health and /ready, and what the API answers while S3 and DynamoDB cannot be reached.
import t from 'tap'
import { buildApp } from '../../api/app.ts'
import { READY_CACHE_MS } from '../../api/routes/health.ts'
import { freePort, startEmulator, testConfig, waitFor } from '../helpers/stack.ts'
import { dataDirectory } from '../helpers/data-dir.ts'
import { failingServices } from '../helpers/services.ts'

t.test('with the emulators up: healthy and ready', async t => {
  const { config } = await startEmulator(t)
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  t.same((await app.inject('/health')).json(), { status: 'ok' })
  const ready = await app.inject('/ready')
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', checks: { 's3://test-bucket': 'ok', 'dynamodb:MetadataTable': 'ok' } })
})

t.test('with nothing listening: not ready, reads are 503, uploads still work, the process stays up', async t => {
  const app = await buildApp({ config: testConfig({ embeddedPort: await freePort() }) })
  t.teardown(() => app.close())
  t.equal((await app.inject('/health')).statusCode, 200)

  const ready = await app.inject('/ready')
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { code: 'not-ready', checks: { 's3://test-bucket': 'ECONNREFUSED', 'dynamodb:MetadataTable': 'ECONNREFUSED' } })

  for (const url of ['/files', '/files/example.csv']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 503, url)
    t.match(res.json(), { code: 'service-unavailable', detail: /MetadataTable cannot be reached right now \(ECONNREFUSED\)/ })
    t.notMatch(res.body, /at .*\.ts:\d+/, 'no stack trace leaks')
  }

  t.equal((await app.inject({ method: 'POST', url: '/uploads', payload: { filename: 'a.csv' } })).statusCode, 201, 'presigning needs no network')
})

t.test('a missing table is reported by name', async t => {
  const { config } = await startEmulator(t)
  const app = await buildApp({ config: { ...config, tableName: 'NoSuchTable' } })
  t.teardown(() => app.close())
  const ready = await app.inject('/ready')
  t.equal(ready.statusCode, 503)
  t.match(ready.json().checks, { 's3://test-bucket': 'ok', 'dynamodb:NoSuchTable': 'ResourceNotFoundException' })
})

t.test('an unexpected error is a 500 that hides internals', async t => {
  const config = testConfig()
  const failing = {
    ...failingServices(() => new Error('unused')),
    presignUpload: async () => { throw new Error('secret internal detail') },
    getFile: async () => undefined,
    listFiles: async () => ({ items: [], nextCursor: null }),
    checkReady: async () => ({})
  }
  const app = await buildApp({ config, services: failing })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'POST', url: '/uploads', payload: { filename: 'a.csv' } })
  t.equal(res.statusCode, 500)
  t.match(res.json(), { code: 'internal-error', detail: /Quote request id req-/ })
  t.notMatch(res.body, /secret internal detail/)
})

t.test('the API recovers by itself when S3 and DynamoDB come back', async t => {
  const port = await freePort()
  const config = testConfig({ embeddedPort: port, dataDir: dataDirectory(t) })
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  t.equal((await app.inject('/ready')).statusCode, 503)
  t.equal((await app.inject('/files')).statusCode, 503)

  const { startAwsEmulator } = await import('../../embedded/aws-emulator.ts')
  const { ensureTable } = await import('../../aws/provision.ts')
  const { createDynamoDBClient } = await import('../../aws/clients.ts')
  const emulator = await startAwsEmulator({ host: '127.0.0.1', port, dataDir: config.dataDir, buckets: [config.bucketName], onS3Event: () => {} })
  t.teardown(() => emulator.close())
  await ensureTable(createDynamoDBClient(config), config.tableName)

  // /ready reuses an answer for READY_CACHE_MS; the recovery shows within that, without a restart.
  const ready = await waitFor(async () => {
    const res = await app.inject('/ready')
    return res.statusCode === 200 ? res : undefined
  }, 2 * READY_CACHE_MS, 'the API to be ready again')
  t.same(ready.json().checks, { 's3://test-bucket': 'ok', 'dynamodb:MetadataTable': 'ok' }, 'ready without a restart')
  t.same((await app.inject('/files')).json(), { items: [], nextCursor: null })
})
