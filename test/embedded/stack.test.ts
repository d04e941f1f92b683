// The embedded stack's start and stop: one per data folder, a clear error on a busy port, nothing lost on restart.
import t from 'tap'
import { createServer } from 'node:net'
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { startEmbeddedStack } from '../../embedded/stack.ts'
import { StackAlreadyRunningError } from '../../embedded/data-lock.ts'
import { createDocumentClient, createS3Client } from '../../aws/clients.ts'
import { MetadataTable } from '../../aws/metadata-table.ts'
import { freePort, testConfig } from '../helpers/stack.ts'
import { dataDirectory } from '../helpers/data-dir.ts'

const quiet = { output: 'ignore' as const }

t.test('a second stack on the same data folder is refused with a clear message', async t => {
  const config = testConfig({ embeddedPort: await freePort(), dataDir: dataDirectory(t) })
  const first = await startEmbeddedStack(config, quiet)
  t.teardown(() => first.close())
  const second = { ...config, embeddedPort: await freePort() }
  await t.rejects(startEmbeddedStack(second, quiet), StackAlreadyRunningError)
  await t.rejects(startEmbeddedStack(second, quiet), { message: new RegExp(`Another embedded stack \\(pid ${process.pid}\\) is already using`) })
})

t.test('a busy port fails the start without leaving the data folder locked', async t => {
  const blocker = createServer()
  const port = await freePort()
  await new Promise<void>(resolve => blocker.listen(port, '127.0.0.1', resolve))
  t.teardown(() => { blocker.close() })
  const config = testConfig({ embeddedPort: port, dataDir: dataDirectory(t) })
  await t.rejects(startEmbeddedStack(config, quiet), { code: 'EADDRINUSE' })
  const retry = await startEmbeddedStack({ ...config, embeddedPort: await freePort() }, quiet)
  await retry.close()
  t.pass('the same folder starts once the port problem is solved')
})

t.test('objects and metadata survive a restart', async t => {
  const config = testConfig({ embeddedPort: await freePort(), dataDir: dataDirectory(t) })
  let stack = await startEmbeddedStack(config, quiet)
  const s3 = createS3Client(config)
  const table = new MetadataTable(createDocumentClient(config), config.tableName)
  await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: 'kept.csv', Body: 'a\n1\n' }))
  await table.put({ filename: 'kept.csv', upload_timestamp: '2026-11-24T10:00:00.000Z', file_size_bytes: 4, etag: 'x', status: 'processed' })
  await stack.close()

  stack = await startEmbeddedStack(config, quiet)
  t.teardown(() => stack.close())
  const object = await s3.send(new GetObjectCommand({ Bucket: config.bucketName, Key: 'kept.csv' }))
  t.equal(await object.Body!.transformToString(), 'a\n1\n')
  t.match(await table.get('kept.csv'), { status: 'processed' })
})
