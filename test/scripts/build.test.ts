// `npm run build`: the files that would be deployed, run as they would be: the zipped processor against the embedded
// stack, the API function with function URL events, both copied away from node_modules so nothing is borrowed from it.
import t from 'tap'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { unzipSync } from 'fflate'
import { buildAll, buildProcessor } from '../../scripts/build.ts'
import { objectCreatedEvent } from '../../shared/s3-events.ts'
import { startEmulator, startTestStack, waitFor } from '../helpers/stack.ts'
import { SEED } from '../helpers/sample.ts'

const outDir = await mkdtemp(join(tmpdir(), 'csv-build-'))
t.teardown(() => rm(outDir, { recursive: true, force: true }))
const artifacts = await buildAll(outDir)

t.test('the processor zip holds the bundle at its root, and the same code gives the same bytes', async t => {
  const zip = await readFile(artifacts.processorZip)
  const files = unzipSync(zip)
  // The profile pool's threads load profile-worker.mjs from beside the handler.
  t.same(Object.keys(files).sort(), ['index.mjs', 'index.mjs.map', 'profile-worker.mjs', 'profile-worker.mjs.map'])
  for (const name of ['index.mjs', 'profile-worker.mjs']) t.same(Buffer.from(files[name]!), await readFile(join(artifacts.processorDir, name)), name)
  const again = await buildProcessor(join(outDir, 'again'))
  t.same(await readFile(again.processorZip), zip, 'deterministic: an unchanged function is not redeployed')
})

t.test('the bundled processor, unzipped alone, processes S3 events from the embedded stack', async t => {
  const alone = await mkdtemp(join(tmpdir(), 'csv-processor-'))
  t.teardown(() => rm(alone, { recursive: true, force: true }))
  for (const [name, bytes] of Object.entries(unzipSync(await readFile(artifacts.processorZip)))) {
    await writeFile(join(alone, name), bytes)
  }
  const { config, s3, table } = await startTestStack(t, {}, { handlerModule: pathToFileURL(join(alone, 'index.mjs')).href })
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'example.csv', Body: SEED }))
  const record = await waitFor(async () => {
    const found = await table.get('example.csv')
    return found?.status === 'processed' ? found : undefined
  }, 20_000, 'the bundled handler to record example.csv')
  t.match(record, { filename: 'example.csv', row_count: 2, column_count: 5, file_size_bytes: 85, column_names: ['id', 'name', 'age', 'city', 'date'] })
})

t.test('in a LocalStack-like environment the bundled processor finds the endpoint through LOCALSTACK_HOSTNAME, and reads in the ranges its variables set', async t => {
  const { config, s3, table } = await startEmulator(t)
  const { ETag } = await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'example.csv', Body: SEED }))
  const event = objectCreatedEvent(config.bucketName, config.awsRegion, { key: 'example.csv', size: 85, etag: ETag!, lastModified: new Date() })
  // Only what a Lambda container has: the function's variables as provisioned, and what the runtime and LocalStack set.
  const env = {
    PATH: process.env.PATH,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_REGION: config.awsRegion,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    LOCALSTACK_HOSTNAME: '127.0.0.1',
    EDGE_PORT: String(config.embeddedPort),
    BUCKET_NAME: config.bucketName,
    TABLE_NAME: config.tableName
  }
  t.match(await invokeProcessor(env, event), { level: 'info', msg: /^processed example.csv: 2 rows/, key: 'example.csv', status: 'processed', row_count: 2 })
  t.match(await table.get('example.csv'), { status: 'processed', row_count: 2, column_count: 5 })

  // A file of several ranges, read in ranges of 64 KiB, 3 at a time, as the variables say.
  const rows = Array.from({ length: 8000 }, (_, i) => `${i},"line one\nline two of ${i}",${i * 2}`)
  const large = `id,note,double\n${rows.join('\n')}\n`
  const put = await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'ranges.csv', Body: large }))
  t.ok(large.length > 4 * 65536, `${large.length} bytes: five ranges or more`)
  const ranged = objectCreatedEvent(config.bucketName, config.awsRegion, { key: 'ranges.csv', size: large.length, etag: put.ETag!, lastModified: new Date() })
  t.match(await invokeProcessor({ ...env, S3_RANGE_BYTES: '65536', S3_READ_CONCURRENCY: '3' }, ranged), { msg: /^processed ranges.csv: 8000 rows, 3 columns/ })
})

/** Runs the bundled processor's handler on one event in a process of its own; its last log line. */
async function invokeProcessor (env: NodeJS.ProcessEnv, event: unknown): Promise<unknown> {
  const invoke = 'const { handler } = await import(process.argv[1]); await handler(JSON.parse(process.argv[2]))'
  const { stdout } = await promisify(execFile)(process.execPath,
    ['--input-type=module', '-e', invoke, pathToFileURL(join(artifacts.processorDir, 'index.mjs')).href, JSON.stringify(event)], { env })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

t.test('the container\'s server has the page beside it', async t => {
  t.ok(existsSync(join(artifacts.serverDir, 'web', 'index.html')), 'dist/server/web/index.html, which server.mjs serves at /')
})

t.test('the bundled API function answers function URL events, Swagger UI and the page included', async t => {
  const alone = await mkdtemp(join(tmpdir(), 'csv-api-'))
  t.teardown(() => rm(alone, { recursive: true, force: true }))
  await cp(artifacts.apiFunctionDir, alone, { recursive: true })
  const { config, s3, table } = await startTestStack(t)
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'example.csv', Body: SEED }))
  await waitFor(async () => (await table.get('example.csv'))?.status === 'processed' || undefined, 20_000, 'example.csv to be processed')

  // The function's environment as deployed, and nothing of this process's.
  const env = {
    PATH: process.env.PATH,
    AWS_ENDPOINT_URL: config.awsEndpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    BUCKET_NAME: config.bucketName,
    TABLE_NAME: config.tableName,
    LOG_LEVEL: 'silent'
  }
  const script = /src="(\/app\/main-[A-Z0-9]+\.js)"/.exec(await readFile(join(alone, 'web', 'index.html'), 'utf8'))![1]!
  const [page, pageScript, health, docs, icon, upload, file, missing] = await callFunction(join(alone, 'index.mjs'), env, [
    functionUrlEvent('GET', '/'),
    functionUrlEvent('GET', script),
    functionUrlEvent('GET', '/health'),
    functionUrlEvent('GET', '/docs/static/swagger-ui.css'),
    functionUrlEvent('GET', '/docs/static/favicon-32x32.png'),
    functionUrlEvent('POST', '/uploads', { filename: 'example.csv' }),
    functionUrlEvent('GET', '/files/example.csv'),
    functionUrlEvent('GET', '/files/nope.csv')
  ])

  t.match(page, { statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': /script-src 'self'/ } }, 'the page, from the copy beside the bundle')
  t.match(page!.body.toString(), script)
  t.match(pageScript, { statusCode: 200, headers: { 'cache-control': 'public, max-age=31536000, immutable' } })
  t.ok(pageScript!.body.length > 100_000, 'its script, whole')
  t.equal(health?.statusCode, 200)
  t.equal(docs?.statusCode, 200, 'Swagger UI assets are served from the copy beside the bundle')
  t.ok(docs!.body.length > 10_000)
  t.same(icon?.body.subarray(1, 4), Buffer.from('PNG'), 'binary assets survive the Lambda response encoding')

  t.equal(upload?.statusCode, 201)
  t.match(JSON.parse(upload!.body.toString()), { key: 'example.csv', uploadUrl: /^http:\/\/127\.0\.0\.1:\d+\/test-bucket\/example\.csv\?/ })

  t.equal(file?.statusCode, 200)
  t.match(JSON.parse(file!.body.toString()), { filename: 'example.csv', row_count: 2 })
  t.match({ status: missing?.statusCode, body: JSON.parse(missing!.body.toString()) }, { status: 404, body: { code: 'file-not-found' } })
})

interface FunctionUrlResult { statusCode: number, headers: Record<string, string>, body: string, isBase64Encoded?: boolean }

/**
 * Imports the function bundle at `path` in a process of its own whose environment is `env` (the bundle reads its
 * configuration when loaded, as Lambda's init phase does), calls its handler with each event in turn, and returns
 * the answers with their bodies decoded to bytes.
 */
async function callFunction (path: string, env: NodeJS.ProcessEnv, events: unknown[]) {
  const invoke = 'const { handler } = await import(process.argv[1]); const results = []; ' +
    'for (const event of JSON.parse(process.argv[2])) results.push(await handler(event)); console.log(JSON.stringify(results))'
  const { stdout } = await promisify(execFile)(process.execPath,
    ['--input-type=module', '-e', invoke, pathToFileURL(path).href, JSON.stringify(events)], { env })
  const results = JSON.parse(stdout.trim().split('\n').at(-1)!) as FunctionUrlResult[]
  return results.map(result => ({ ...result, body: Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8') }))
}

/** A request as a Lambda function URL delivers it (payload format 2.0). */
function functionUrlEvent (method: string, path: string, body?: unknown) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.lambda-url.us-east-1.on.aws', 'content-type': 'application/json', 'user-agent': 'curl/8.0' },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.0' },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: '$default',
      stage: '$default',
      time: '24/Nov/2026:10:30:45 +0000',
      timeEpoch: 1795516245000
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false
  }
}
