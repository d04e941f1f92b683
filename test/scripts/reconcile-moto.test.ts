// The same code against a second, independent emulator (moto), as it runs against LocalStack or AWS: the API
// reads the table, `npm run reconcile` fills in the metadata of objects uploaded while nothing processed them, and
// the objects of replaced versions are pruned.
import t from 'tap'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { buildApp } from '../../api/app.ts'
import { createDocumentClient, createDynamoDBClient, createS3Client } from '../../aws/clients.ts'
import { pruneVersionObjects, versionObjectKey } from '../../aws/large-records.ts'
import { MetadataTable } from '../../aws/metadata-table.ts'
import { profileObjectKey } from '../../aws/profile-objects.ts'
import { ensureBucket, ensureTable } from '../../aws/provision.ts'
import { loadEmbeddedConfig } from '../../embedded/config.ts'
import { MOTO_CREDENTIALS, motoMissing, startMoto } from '../helpers/moto.ts'
import { SEED } from '../helpers/sample.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const skip = await motoMissing()

t.test('reconcile and the API against moto', { skip: skip ?? false }, async t => {
  const endpoint = await startMoto(t)
  const env = { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' }
  const config = { ...loadEmbeddedConfig(env, { port: 0, logLevel: 'silent' }), credentials: MOTO_CREDENTIALS }
  t.equal(config.stack, 'external', 'an endpoint means no embedded emulators')
  const s3 = createS3Client(config)
  await ensureBucket(s3, config.bucketName)
  await ensureTable(createDynamoDBClient(config), config.tableName)
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'example.csv', Body: SEED }))
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'dir/with space.csv', Body: 'a,b\n1,2,3\n' }))

  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts'], { cwd: ROOT, env: { ...process.env, ...env } })
  t.match(stdout, new RegExp(`Reconciling s3://test-bucket with MetadataTable at ${endpoint}`))
  t.match(stdout, /2 of 2 file\(s\) repaired\./)

  const table = new MetadataTable(createDocumentClient(config), config.tableName)
  t.match(await table.get('example.csv'), { status: 'processed', row_count: 2, column_count: 5, file_size_bytes: 85 })
  t.match(await table.get('dir/with space.csv'), { status: 'failed', error: { code: 'extra-cell', line: 2 } })

  const app = await buildApp({ config })
  t.teardown(() => app.close())
  t.equal((await app.inject('/ready')).statusCode, 200)
  const list = (await app.inject('/files')).json() as { items: Array<{ filename: string }> }
  t.same(list.items.map(item => item.filename).sort(), ['dir/with space.csv', 'example.csv'])
  t.match((await app.inject(`/files/${encodeURIComponent('dir/with space.csv')}`)).json(), { status: 'failed' })

  // The objects of replaced versions go in one DeleteObjects request, with the checksum S3 requires of it.
  for (const etag of ['1111', '2222', '3333']) {
    await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: profileObjectKey('old.csv', etag), Body: '{}' }))
  }
  t.equal(await pruneVersionObjects(s3, config.bucketName, 'old.csv', '3333', new Date(Date.now() + 60_000)), 2)
  const left = await s3.send(new ListObjectsV2Command({ Bucket: config.bucketName, Prefix: versionObjectKey('old.csv', '', '') }))
  t.same(left.Contents?.map(o => o.Key), [profileObjectKey('old.csv', '3333')])
})
