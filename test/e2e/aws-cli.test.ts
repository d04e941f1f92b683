// The seed's own aws CLI steps against the embedded stack: `s3 cp`, then `dynamodb scan` shows the item.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { startTestStack, waitFor } from '../helpers/stack.ts'

const run = promisify(execFile)
const SAMPLE = fileURLToPath(new URL('../../sample_data/example.csv', import.meta.url))
const hasAws = await run('aws', ['--version']).then(() => true, () => false)
if (!hasAws && process.env.CI === 'true') throw new Error('the aws CLI is required in CI (apt-get install awscli, or pip install awscli)')

t.test('aws s3 cp, then aws dynamodb scan', { skip: hasAws ? false : 'the aws CLI is not on PATH' }, async t => {
  const { stack } = await startTestStack(t)
  // What the README tells users to export; the CLI's default (streaming, checksummed) uploads are accepted.
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1'
  }
  const aws = (...args: string[]) => run('aws', ['--endpoint-url', stack.endpoint, ...args], { env })

  await aws('s3', 'cp', SAMPLE, 's3://test-bucket/example.csv')
  const item = await waitFor(async () => {
    const { stdout } = await aws('dynamodb', 'scan', '--table-name', 'MetadataTable')
    const scan = JSON.parse(stdout) as { Items: Array<Record<string, Record<string, unknown>>> }
    const found = scan.Items.find(i => i.filename?.S === 'example.csv')
    return found?.status?.S === 'processed' ? found : undefined
  }, 30_000, 'the item to be processed')
  t.match(item, {
    filename: { S: 'example.csv' },
    upload_timestamp: { S: /^\d{4}-\d\d-\d\dT/ },
    file_size_bytes: { N: '85' },
    row_count: { N: '2' },
    column_count: { N: '5' },
    column_names: { L: [{ S: 'id' }, { S: 'name' }, { S: 'age' }, { S: 'city' }, { S: 'date' }] },
    status: { S: 'processed' }
  })
})
