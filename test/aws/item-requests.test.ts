// GetItem and UpdateItem sent without the SDK's middleware, against the embedded DynamoDB: the same items and the same
// errors as through the SDK, retries of 5xx and throttling (through a proxy that fails requests), a skewed clock
// corrected, credentials that change.
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { clientSettings, createDocumentClient } from '../../aws/clients.ts'
import { createItemRequests } from '../../aws/item-requests.ts'
import { MetadataTable } from '../../aws/metadata-table.ts'
import { isUnavailable } from '../../aws/unavailable.ts'
import { uploadingRecord, type FileMetadata } from '../../shared/file-record.ts'
import { freePort, startEmulator } from '../helpers/stack.ts'

const record: FileMetadata = {
  filename: 'dir/naïve name+1.csv',
  upload_timestamp: '2026-11-24T10:00:00.000Z',
  file_size_bytes: 9_007_199_254_740_991,
  etag: 'abc',
  status: 'processed',
  row_count: 2,
  column_count: 3,
  column_names: ['id', 'naïve', ''],
  warnings: [{ code: 'extra-cell', message: 'a row with one cell too many', line: 3, byte: 41 }],
  processed_at: '2026-11-24T11:00:00.000Z'
}

/** A proxy to `target` that answers the first `failures` requests itself with `status` and DynamoDB's error body for `type`. */
async function failingProxy (t: Test, target: string, failures: number, status: number, type: string): Promise<{ url: string, seen: () => number }> {
  let seen = 0
  const server = http.createServer((req, res) => {
    seen++
    if (seen <= failures) {
      req.resume()
      const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'try again' })
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `failed-${seen}` }).end(body)
      return
    }
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, answer => {
      res.writeHead(answer.statusCode!, answer.headers)
      answer.pipe(res)
    })
    req.pipe(upstream)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen: () => seen }
}

t.test('item requests', async t => {
  const { config, table } = await startEmulator(t)
  const documents = createDocumentClient(config)
  await table.put(record)

  t.test('GetItem answers the item the SDK reads, and nothing for a name without one', async t => {
    const items = createItemRequests(documents)
    const fast = await new MetadataTable(documents, config.tableName, items).get(record.filename)
    const { Item } = await documents.send(new GetCommand({ TableName: config.tableName, Key: { filename: record.filename } }))
    const { listing: _listing, feed: _feed, ...sdk } = Item!
    t.same(fast, sdk, 'numbers, lists, maps and non-ASCII text alike')
    t.same(await items('GetItem', { TableName: config.tableName, Key: { filename: { S: 'none.csv' } } }), {})
  })

  t.test('a failed condition is the SDK\'s ConditionalCheckFailedException; putUploading answers false', async t => {
    const issuedAt = new Date()
    t.equal(await table.putUploading(uploadingRecord(record.filename, issuedAt, new Date(issuedAt.getTime() + 60_000))), false, 'a processed file keeps its record')
    const items = createItemRequests(documents)
    const err = await items('UpdateItem', {
      TableName: config.tableName,
      Key: { filename: { S: record.filename } },
      UpdateExpression: 'SET etag = :etag',
      ConditionExpression: 'attribute_not_exists(filename)',
      ExpressionAttributeValues: { ':etag': { S: 'other' } }
    }).then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof ConditionalCheckFailedException)
    t.match(err, { name: 'ConditionalCheckFailedException', $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 1 } })
    t.equal((await table.get(record.filename))?.etag, 'abc', 'nothing written')
  })

  t.test('an unknown table is ResourceNotFoundException, which the API reports as DynamoDB unavailable', async t => {
    const err = await createItemRequests(documents)('GetItem', { TableName: 'NoSuchTable', Key: { filename: { S: 'a.csv' } } }).catch((e: unknown) => e)
    t.match(err, { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } })
    t.ok(isUnavailable(err))
  })

  t.test('5xx answers and throttling are tried again by the client\'s retry strategy, up to its attempts', async t => {
    const flaky = await failingProxy(t, config.awsEndpoint!, 1, 503, 'ServiceUnavailable')
    const twice = createDocumentClient({ ...config, awsEndpoint: flaky.url }, { interactive: true })
    t.match(await new MetadataTable(twice, config.tableName).get(record.filename), { etag: 'abc' }, 'the second attempt answers')
    t.equal(flaky.seen(), 2)

    const throttled = await failingProxy(t, config.awsEndpoint!, 5, 400, 'ProvisionedThroughputExceededException')
    const err = await new MetadataTable(createDocumentClient({ ...config, awsEndpoint: throttled.url }, { interactive: true }), config.tableName)
      .get(record.filename).catch((e: unknown) => e)
    t.match(err, { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400, attempts: 2 } }, 'interactive clients make 2 attempts')
    t.equal(throttled.seen(), 2)
    t.ok(isUnavailable(err))
  })

  t.test('a DynamoDB that cannot be reached is a network error after the attempts, which the API reports as unavailable', async t => {
    const down = createDocumentClient({ ...config, awsEndpoint: `http://127.0.0.1:${await freePort()}` }, { interactive: true })
    const err = await new MetadataTable(down, config.tableName).get(record.filename).catch((e: unknown) => e)
    t.match(err, { code: 'ECONNREFUSED', $metadata: { attempts: 2 } })
    t.ok(isUnavailable(err))
  })

  t.test('a clock 20 minutes off is corrected from the error answer\'s Date, and the request tried again', async t => {
    const client = new DynamoDBClient({ ...clientSettings(config), systemClockOffset: -20 * 60_000 })
    const answer = await createItemRequests(client)('GetItem', { TableName: config.tableName, Key: { filename: { S: record.filename } } })
    t.match(answer, { Item: { etag: { S: 'abc' } } })
    t.ok(Math.abs(client.config.systemClockOffset) < 5000, 'the client\'s offset now matches the server\'s clock')
  })

  t.test('credentials come from the client\'s provider: expiring ones are fetched again, and the new ones sign', async t => {
    let secretAccessKey = 'not-the-secret'
    // Expiring within the SDK's 5-minute window, so its memoized provider asks again on every call, as a role's near their end.
    const credentials = async () => ({ accessKeyId: config.credentials!.accessKeyId, secretAccessKey, expiration: new Date(Date.now() + 60_000) })
    const client = new DynamoDBClient({ ...clientSettings(config), credentials })
    const items = createItemRequests(client)
    const key = { TableName: config.tableName, Key: { filename: { S: record.filename } } }
    t.match(await items('GetItem', key).catch((e: unknown) => e), { name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400, attempts: 1 } })
    secretAccessKey = config.credentials!.secretAccessKey
    t.match(await items('GetItem', key), { Item: { etag: { S: 'abc' } } })
  })
})
