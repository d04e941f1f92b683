// `npm run provision` (what the compose stack runs against LocalStack) against moto, a second, independent emulator:
// every resource and setting is then read back with the SDK. Running it twice changes nothing.
import t from 'tap'
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { GetBucketNotificationConfigurationCommand, GetBucketCorsCommand, GetBucketLifecycleConfigurationCommand, HeadBucketCommand } from '@aws-sdk/client-s3'
import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam'
import { GetFunctionCommand, GetFunctionEventInvokeConfigCommand, GetPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs'
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge'
import { clientSettings, createDocumentClient, createDynamoDBClient, createS3Client } from '../../aws/clients.ts'
import { MetadataTable, tableDefinition } from '../../aws/metadata-table.ts'
import { ensureTable } from '../../aws/provision.ts'
import { loadEmbeddedConfig } from '../../embedded/config.ts'
import { buildProcessor, buildWebhookSender } from '../../scripts/build.ts'
import { MOTO_CREDENTIALS, motoMissing, startMoto } from '../helpers/moto.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const skip = await motoMissing()

t.test('provisioning against moto', { skip: skip ?? false }, async t => {
  const endpoint = await startMoto(t)
  const outDir = await mkdtemp(join(tmpdir(), 'csv-provision-'))
  t.teardown(() => rm(outDir, { recursive: true, force: true }))
  const { processorZip } = await buildProcessor(outDir)
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    CORS_ORIGINS: 'https://app.example.com'
  }
  const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/provision.ts', '--zip', processorZip], { cwd: ROOT, env })

  const first = await run()
  t.match(first.stdout, /ok {2}function arn:aws:lambda:us-east-1:\d+:function:FileProcessorLambda \(nodejs22\.x\)/)
  t.match(first.stdout, /provisioned/)
  const second = await run()
  t.match(second.stdout, /provisioned/, 'a second run succeeds (every step is idempotent)')

  const config = { ...loadEmbeddedConfig(env), credentials: MOTO_CREDENTIALS }
  const s3 = createS3Client(config)
  const lambda = new LambdaClient(clientSettings(config))

  t.test('bucket with browser-upload CORS and abandoned multipart uploads expiring, table with its indexes and TTL', async t => {
    t.equal((await s3.send(new HeadBucketCommand({ Bucket: 'test-bucket' }))).$metadata.httpStatusCode, 200)
    const { CORSRules } = await s3.send(new GetBucketCorsCommand({ Bucket: 'test-bucket' }))
    t.match(CORSRules, [{ AllowedMethods: ['PUT', 'POST'], AllowedOrigins: ['https://app.example.com'], ExposeHeaders: ['ETag'] }])
    const { Rules } = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'test-bucket' }))
    t.match(Rules, [{ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }])
    const dynamodb = createDynamoDBClient(config)
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: 'MetadataTable' }))
    t.match(Table, { TableStatus: 'ACTIVE', KeySchema: [{ AttributeName: 'filename', KeyType: 'HASH' }] })
    t.same(Table?.GlobalSecondaryIndexes?.map(index => index.IndexName).sort(), ['by-update-time', 'by-upload-time'])
    const { TimeToLiveDescription } = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'MetadataTable' }))
    t.match(TimeToLiveDescription, { AttributeName: 'expires_at_epoch', TimeToLiveStatus: 'ENABLED' })
  })

  t.test('a table made before the change feed gets its index added in place (UpdateTable), items kept', async t => {
    const dynamodb = createDynamoDBClient(config)
    const old = tableDefinition('OlderTable')
    await dynamodb.send(new CreateTableCommand({
      ...old,
      AttributeDefinitions: old.AttributeDefinitions!.filter(a => !['feed', 'updated_at'].includes(a.AttributeName!)),
      GlobalSecondaryIndexes: old.GlobalSecondaryIndexes!.filter(index => index.IndexName === 'by-upload-time')
    }))
    await new MetadataTable(createDocumentClient(config), 'OlderTable').put({ filename: 'kept.csv', upload_timestamp: '2026-11-24T10:00:00.000Z', file_size_bytes: 1, etag: 'e', status: 'processed' })
    await ensureTable(dynamodb, 'OlderTable')
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: 'OlderTable' }))
    t.same(Table?.GlobalSecondaryIndexes?.map(index => index.IndexName).sort(), ['by-update-time', 'by-upload-time'])
    t.match(await new MetadataTable(createDocumentClient(config), 'OlderTable').get('kept.csv'), { status: 'processed' })
  })

  t.test('the function: runtime, handler, code, settings, role', async t => {
    const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: 'FileProcessorLambda' }))
    t.match(Configuration, {
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 300,
      Role: /:role\/FileProcessorLambda-role$/,
      Environment: { Variables: { BUCKET_NAME: 'test-bucket', TABLE_NAME: 'MetadataTable', MAX_RECORD_BYTES: '67108864', MAX_COLUMNS: '10000', MAX_DECOMPRESSED_BYTES: '17179869184', S3_READ_CONCURRENCY: '1' } }
    })
    t.notOk('AWS_ENDPOINT_URL' in (Configuration?.Environment?.Variables ?? {}), 'the endpoint comes from LocalStack, not from the function')
    t.equal(Configuration?.CodeSha256, createHash('sha256').update(await readFile(processorZip)).digest('base64'), 'the bundle built here')
  })

  t.test('the role may do exactly what the processor needs', async t => {
    const iam = new IAMClient(clientSettings(config))
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'FileProcessorLambda-role' }))
    t.match(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? ''), /lambda\.amazonaws\.com/)
    const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: 'FileProcessorLambda-role', PolicyName: 'least-privilege' }))
    const statements = (JSON.parse(decodeURIComponent(PolicyDocument ?? '{}')) as { Statement: Array<{ Action: string[], Resource: string[] }> }).Statement
    t.same(statements.flatMap(s => s.Action).sort(),
      ['dynamodb:PutItem', 'events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'sqs:SendMessage'])
    t.match(statements.find(s => s.Action.includes('events:PutEvents'))?.Resource, [/^arn:aws:events:us-east-1:\d+:event-bus\/default$/], 'verdicts on the default bus')
    t.notOk(statements.some(s => s.Action.some(action => action.includes('*')) || s.Resource.includes('*')), 'no wildcard action or resource')
    t.same(statements.find(s => s.Action.includes('s3:GetObject'))?.Resource, ['arn:aws:s3:::test-bucket/*'])
    t.same(statements.find(s => s.Action.includes('s3:PutObject'))?.Resource, ['arn:aws:s3:::test-bucket/.metadata/*'], 'it writes only records too large for the table')
    t.match(statements.find(s => s.Action.includes('dynamodb:PutItem'))?.Resource, [/^arn:aws:dynamodb:us-east-1:\d+:table\/MetadataTable$/])
  })

  t.test('asynchronous invocation: two retries, then the failure queue', async t => {
    const invokeConfig = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'FileProcessorLambda' }))
    t.equal(invokeConfig.MaximumRetryAttempts, 2)
    const queueArn = invokeConfig.DestinationConfig?.OnFailure?.Destination
    t.match(queueArn, /^arn:aws:sqs:us-east-1:\d+:FileProcessorLambda-failures$/)
    const sqs = new SQSClient(clientSettings(config))
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
      QueueUrl: `${endpoint}/${queueArn!.split(':')[4]}/FileProcessorLambda-failures`,
      AttributeNames: ['QueueArn', 'MessageRetentionPeriod']
    }))
    t.same(Attributes, { QueueArn: queueArn, MessageRetentionPeriod: '1209600' })
  })

  t.test('S3 may invoke the function, and the bucket notifies it of created and removed objects', async t => {
    const { Policy } = await lambda.send(new GetPolicyCommand({ FunctionName: 'FileProcessorLambda' }))
    const statements = (JSON.parse(Policy ?? '{}') as { Statement: unknown[] }).Statement
    t.equal(statements.length, 1, 'the second run did not add a duplicate statement')
    t.match(statements[0], {
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::test-bucket' }, StringEquals: { 'AWS:SourceAccount': /^\d+$/ } }
    })
    const notification = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: 'test-bucket' }))
    t.match(notification.LambdaFunctionConfigurations, [{
      LambdaFunctionArn: /:function:FileProcessorLambda$/,
      Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*']
    }])
  })
})

t.test('provisioning with WEBHOOK_URLS against moto: the sender, its retries and queue, and the rule that invokes it', { skip: skip ?? false }, async t => {
  const endpoint = await startMoto(t)
  const outDir = await mkdtemp(join(tmpdir(), 'csv-provision-'))
  t.teardown(() => rm(outDir, { recursive: true, force: true }))
  const [{ processorZip }] = await Promise.all([buildProcessor(outDir), buildWebhookSender(outDir)])
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    WEBHOOK_URLS: 'http://host.docker.internal:8080/hooks,https://b.example/in',
    WEBHOOK_SECRET: secret
  }
  const run = (urls = env.WEBHOOK_URLS) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/provision.ts', '--zip', processorZip], { cwd: ROOT, env: { ...env, WEBHOOK_URLS: urls } })
  const first = await run()
  t.match(first.stdout, /ok {2}function arn:aws:lambda:us-east-1:\d+:function:WebhookSenderLambda \(webhooks to 2 URL\(s\); 2 retries, then arn:aws:sqs:us-east-1:\d+:WebhookSenderLambda-failures\)/)
  t.match(first.stdout, /ok {2}rule arn:aws:events:us-east-1:\d+:rule\/csv-metadata-verdicts-to-webhooks: verdicts -> WebhookSenderLambda, once per URL/)
  t.match((await run('http://host.docker.internal:8080/hooks')).stdout, /provisioned/, 'a second run, with one URL fewer, succeeds')

  const config = { ...loadEmbeddedConfig(env), credentials: MOTO_CREDENTIALS }
  const lambda = new LambdaClient(clientSettings(config))
  const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: 'WebhookSenderLambda' }))
  t.match(Configuration, { Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 30, Environment: { Variables: { WEBHOOK_URLS: 'http://host.docker.internal:8080/hooks', WEBHOOK_SECRET: secret } } })
  const invokeConfig = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'WebhookSenderLambda' }))
  t.match(invokeConfig, { MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: /:WebhookSenderLambda-failures$/ } } })
  const events = new EventBridgeClient(clientSettings(config))
  const rule = await events.send(new DescribeRuleCommand({ Name: 'csv-metadata-verdicts-to-webhooks' }))
  t.same(JSON.parse(rule.EventPattern!), { source: ['csv-metadata'], 'detail-type': ['File processed', 'File failed'] })
  const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: 'csv-metadata-verdicts-to-webhooks' }))
  t.equal(Targets?.length, 1, 'the target of the URL no longer set was removed')
  t.match(Targets, [{
    Id: 'webhook-1',
    Arn: /:function:WebhookSenderLambda$/,
    InputTransformer: { InputPathsMap: { event: '$' }, InputTemplate: '{"url":"http://host.docker.internal:8080/hooks","event":<event>}' },
    RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    DeadLetterConfig: { Arn: /:WebhookSenderLambda-failures$/ }
  }])
  const { Policy } = await lambda.send(new GetPolicyCommand({ FunctionName: 'WebhookSenderLambda' }))
  t.match(JSON.parse(Policy ?? '{}').Statement, [{ Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnLike: { 'AWS:SourceArn': rule.Arn } } }])
})

t.test('provisioning refuses the embedded stack and names a missing bundle', async t => {
  const run = (env: NodeJS.ProcessEnv, args: string[] = []) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/provision.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } })
      .then(() => ({ code: 0, stderr: '' }), (err: { code: number, stderr: string }) => err)
  const embedded = await run({})
  t.equal(embedded.code, 1)
  t.match(embedded.stderr, /provisioning failed: Nothing to provision: the embedded stack provisions itself/)
  const noZip = await run({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }, ['--zip', 'no/such.zip'])
  t.equal(noZip.code, 1)
  t.match(noZip.stderr, /no\/such\.zip does not exist: run `npm run build` first/)
})
