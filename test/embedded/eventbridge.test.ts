// The embedded EventBridge through the SDK's own client: PutEvents delivers events in EventBridge's shape, refuses
// unknown buses per entry and bad signatures per call, and answers anything but PutEvents as unsupported.
import t from 'tap'
import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { clientSettings } from '../../aws/clients.ts'
import { eventBridgePublisher } from '../../aws/verdict-events.ts'
import { startAwsEmulator, type BusEvent } from '../../embedded/aws-emulator.ts'
import type { FileMetadata } from '../../shared/file-record.ts'
import { dataDirectory } from '../helpers/data-dir.ts'
import { freePort } from '../helpers/stack.ts'

const record: FileMetadata = {
  filename: 'a.csv',
  upload_timestamp: '2026-11-24T10:30:45.000Z',
  file_size_bytes: 4,
  etag: 'e',
  status: 'failed',
  error: { code: 'empty-file', message: 'The file is empty.' },
  processed_at: '2026-11-24T10:30:46.000Z'
}

t.test('the embedded EventBridge', async t => {
  const port = await freePort()
  const received: BusEvent[] = []
  const emulator = await startAwsEmulator({
    host: '127.0.0.1', port, dataDir: dataDirectory(t), buckets: ['test-bucket'], eventBuses: ['verdicts'], onS3Event: () => {}, onBusEvents: events => { received.push(...events) }
  })
  t.teardown(() => emulator.close())
  const client = (secretAccessKey = 'test') => new EventBridgeClient({ ...clientSettings({ awsRegion: 'us-east-1', awsEndpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey } }), maxAttempts: 1 })

  t.test('the processor\'s publisher puts the verdict on the default bus or a named one, in EventBridge\'s shape', async t => {
    await eventBridgePublisher(client(), undefined)(record)
    await eventBridgePublisher(client(), 'verdicts')(record)
    t.equal(received.length, 2)
    t.match(received[0], {
      version: '0',
      id: /^[0-9a-f-]{36}$/,
      source: 'csv-metadata',
      'detail-type': 'File failed',
      account: '000000000000',
      time: '2026-11-24T10:30:46Z',
      region: 'us-east-1',
      resources: [],
      detail: record
    })
  })

  t.test('an unknown bus fails its entry, and the publisher rejects with why', async t => {
    await t.rejects(eventBridgePublisher(client(), 'nowhere')(record), { name: 'EventBusError', message: 'EventBridge did not accept the event of a.csv: ResourceNotFoundException (Event bus nowhere does not exist.)' })
    const { FailedEntryCount, Entries } = await client().send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '[1]' }, { Source: 's', DetailType: 'd', Detail: '{}' }] }))
    t.equal(FailedEntryCount, 1)
    t.match(Entries, [{ ErrorCode: 'MalformedDetail' }, { EventId: /./ }], 'each entry answered on its own')
  })

  t.test('a wrong secret and an operation it does not have are refused', async t => {
    await t.rejects(client('wrong').send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] })), { name: 'InvalidSignatureException' })
    await t.rejects(client().send(new ListRulesCommand({})), { name: 'UnknownOperationException', message: /PutEvents only/ })
    const unsigned = await fetch(emulator.endpoint, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' })
    t.equal(unsigned.status, 400)
    t.match(await unsigned.json(), { __type: 'MissingAuthenticationTokenException' })
  })
})
