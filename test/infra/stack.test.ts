// The AWS stack, synthesized offline: its resources, least-privilege permissions, and the S3 -> Lambda -> DynamoDB wiring.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { App } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { CsvMetadataStack, type CsvMetadataStackProps } from '../../infra/stack.ts'
import { localTuning, processorTuning, tableDefinition } from '../../infra/pipeline.ts'
import { buildAll } from '../../scripts/build.ts'

const outDir = await mkdtemp(join(tmpdir(), 'csv-infra-'))
t.teardown(() => rm(outDir, { recursive: true, force: true }))
const { processorDir, apiFunctionDir, webhookSenderDir } = await buildAll(outDir)

function synth (props: Omit<CsvMetadataStackProps, 'processorDir' | 'apiFunctionDir'> = {}): Template {
  const app = new App({ outdir: join(outDir, `cdk-${Math.random().toString(36).slice(2)}`) })
  return Template.fromStack(new CsvMetadataStack(app, 'CsvMetadataService', { processorDir, apiFunctionDir, ...props }))
}

const template = synth()
const resources = (type: string) => Object.entries(template.findResources(type)) as Array<[string, { Properties: Record<string, any> }]>

interface Statement { Effect: string, Action: string | string[], Resource: unknown, Sid?: string }
/** Every statement of every IAM policy, role inline policy, bucket and queue policy in the template. */
function allStatements (): Statement[] {
  return [
    ...resources('AWS::IAM::Role').flatMap(([, role]) => (role.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement)),
    ...['AWS::IAM::Policy', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy'].flatMap(type => resources(type).flatMap(([, p]) => p.Properties.PolicyDocument.Statement))
  ]
}
const actions = (s: Statement) => [s.Action].flat()
/** The inline statements of the role of the function whose logical id starts with `prefix`. */
function roleStatements (prefix: string): Statement[] {
  const [, fn] = resources('AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))!
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string
  return template.toJSON().Resources[roleId].Properties.Policies[0].PolicyDocument.Statement
}
const ref = (prefix: string) => resources('AWS::S3::Bucket').concat(resources('AWS::DynamoDB::Table'), resources('AWS::SQS::Queue'))
  .find(([id]) => id.startsWith(prefix))![0]

t.test('bucket: public access blocked, encrypted, TLS only, CORS for browser PUTs, abandoned multipart uploads removed, kept on destroy', async t => {
  template.hasResource('AWS::S3::Bucket', {
    Properties: {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      CorsConfiguration: { CorsRules: [{ AllowedMethods: ['PUT', 'POST'], AllowedOrigins: ['*'], ExposedHeaders: ['ETag'] }] },
      LifecycleConfiguration: { Rules: [{ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] }
    },
    DeletionPolicy: 'Retain'
  })
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] }
  })
  const custom = synth({ corsOrigins: ['https://app.example.com'] })
  custom.hasResourceProperties('AWS::S3::Bucket', { CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ['https://app.example.com'] })] } })
  custom.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ CORS_ORIGINS: 'https://app.example.com' }) } })
})

t.test('table: the same keys and indexes as everywhere else, on demand, point-in-time recovery, TTL, kept on destroy', async t => {
  const definition = tableDefinition('unused')
  template.hasResource('AWS::DynamoDB::Table', {
    Properties: {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'filename', KeyType: 'HASH' }],
      AttributeDefinitions: definition.AttributeDefinitions,
      GlobalSecondaryIndexes: [{
        IndexName: 'by-upload-time',
        KeySchema: [{ AttributeName: 'listing', KeyType: 'HASH' }, { AttributeName: 'upload_timestamp', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' }
      }, {
        IndexName: 'by-update-time',
        KeySchema: [{ AttributeName: 'feed', KeyType: 'HASH' }, { AttributeName: 'updated_at', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' }
      }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at_epoch', Enabled: true }
    },
    DeletionPolicy: 'Retain'
  })
})

t.test('processor: FileProcessorLambda on nodejs22.x, two async retries, then the SQS failure queue', async t => {
  template.hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'FileProcessorLambda',
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    MemorySize: 1024,
    Timeout: 300,
    Environment: { Variables: { BUCKET_NAME: { Ref: ref('Uploads') }, TABLE_NAME: { Ref: 'Metadata' }, MAX_RECORD_BYTES: '67108864', MAX_COLUMNS: '10000', MAX_DECOMPRESSED_BYTES: '17179869184', NODE_OPTIONS: '--enable-source-maps', MALLOC_TRIM_THRESHOLD_: '134217728', MALLOC_MMAP_THRESHOLD_: '33554432' } },
    LoggingConfig: { LogGroup: Match.anyValue() }
  })
  template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/FileProcessorLambda', RetentionInDays: 30 })
  template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
    FunctionName: { Ref: Match.stringLikeRegexp('^Processor') },
    Qualifier: '$LATEST',
    MaximumRetryAttempts: 2,
    DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ref('ProcessorFailures'), 'Arn'] } } }
  })
  template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true })
})

t.test('the processor\'s tuning reaches its environment when given, and only then', async t => {
  synth({ processorTuning: { profileWorkers: 5, s3RangeBytes: 16 * 1024 * 1024, s3ReadConcurrency: 16 } }).hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'FileProcessorLambda',
    Environment: { Variables: Match.objectLike({ PROFILE_WORKERS: '5', S3_RANGE_BYTES: '16777216', S3_READ_CONCURRENCY: '16' }) }
  })
  t.same(processorTuning({ S3_READ_CONCURRENCY: '16', PROFILE_WORKERS: '' }), { s3ReadConcurrency: 16 }, 'a variable left empty is unset')
  t.throws(() => processorTuning({ S3_RANGE_BYTES: '12' }), /S3_RANGE_BYTES="12"/, 'a bad value names its variable')
})

t.test('on this machine: one stream, a profile thread on 2-3 cores, and the user\'s settings over both', async t => {
  t.same(localTuning({}, 1), { s3ReadConcurrency: 1 })
  t.same([localTuning({}, 2), localTuning({}, 3)], [{ s3ReadConcurrency: 1, profileWorkers: 1 }, { s3ReadConcurrency: 1, profileWorkers: 1 }])
  t.same(localTuning({}, 8), { s3ReadConcurrency: 1 }, 'from 4 cores, the processor\'s own default')
  t.same(localTuning({ PROFILE_WORKERS: '0', S3_READ_CONCURRENCY: '4' }, 2), { s3ReadConcurrency: 4, profileWorkers: 0 })
})

t.test('S3 notifies the processor of created and removed objects, and only this bucket in this account may invoke it', async t => {
  template.hasResourceProperties('Custom::S3BucketNotifications', {
    BucketName: { Ref: ref('Uploads') },
    NotificationConfiguration: {
      LambdaFunctionConfigurations: [
        { Events: ['s3:ObjectCreated:*'], LambdaFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Processor'), 'Arn'] } },
        { Events: ['s3:ObjectRemoved:*'], LambdaFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Processor'), 'Arn'] } }
      ]
    }
  })
  template.hasResourceProperties('AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    Principal: 's3.amazonaws.com',
    FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Processor'), 'Arn'] },
    SourceArn: { 'Fn::GetAtt': [ref('Uploads'), 'Arn'] },
    SourceAccount: { Ref: 'AWS::AccountId' }
  })
})

t.test('the processor may read objects, write items, send failures and log: nothing else', async t => {
  const statements = roleStatements('Processor')
  t.same(statements.flatMap(actions).sort(), ['dynamodb:PutItem', 'events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'sqs:SendMessage'])
  // CDK writes a one-element resource list as the element.
  const bySid = Object.fromEntries(statements.map(s => [s.Sid, s.Resource]))
  t.same(bySid.ReadUploads, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ref('Uploads'), 'Arn'] }, '/*']] })
  t.same(bySid.WriteMetadata, { 'Fn::GetAtt': ['Metadata', 'Arn'] })
  t.same(bySid.WriteLargeRecords, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ref('Uploads'), 'Arn'] }, '/.metadata/*']] }, 'it writes (and deletes) only under .metadata/: records too large for the table, profiles')
  t.same(bySid.KeepFailedEvents, { 'Fn::GetAtt': [ref('ProcessorFailures'), 'Arn'] })
  t.same(bySid.PublishVerdicts, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
    'it publishes verdicts on the default bus only')
  const [, role] = resources('AWS::IAM::Role').find(([id]) => id.startsWith('ProcessorRole'))!
  t.equal(role.Properties.ManagedPolicyArns, undefined, 'no managed policy: AWSLambdaBasicExecutionRole would log to any group')
})

t.test('the API may sign uploads and downloads, manage multipart uploads, delete files, read the table and record uploads: nothing else', async t => {
  const statements = roleStatements('Api')
  t.same(statements.flatMap(actions).sort(), [
    'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents',
    's3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:ListMultipartUploadParts', 's3:PutObject'
  ])
  const bySid = Object.fromEntries(statements.map(s => [s.Sid, s.Resource]))
  const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ref('Uploads'), 'Arn'] }, '/*']] }
  for (const sid of ['SignUploadUrls', 'ManageMultipartUploads', 'ReadObjects', 'DeleteFiles']) t.same(bySid[sid], objects, `${sid}: the bucket's objects`)
  t.same(bySid.RecordUploads, { 'Fn::GetAtt': ['Metadata', 'Arn'] }, 'uploading records and their tombstones, in the table only')
  t.same(bySid.ReadMetadata, [
    { 'Fn::GetAtt': ['Metadata', 'Arn'] },
    { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Metadata', 'Arn'] }, '/index/by-upload-time']] },
    { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Metadata', 'Arn'] }, '/index/by-update-time']] }
  ])
})

t.test('no policy allows a wildcard action or any action on every resource (Deny-insecure-transport excepted)', async t => {
  const allows = allStatements().filter(s => s.Effect === 'Allow')
  t.ok(allows.length >= 10, `${allows.length} Allow statements checked`)
  t.same(allows.filter(s => actions(s).some(a => a.includes('*'))), [], 'no * in any allowed action')
  t.same(allows.filter(s => [s.Resource].flat().includes('*')), [], 'no allowed action on Resource *')
  t.same(allStatements().filter(s => s.Effect !== 'Allow').map(s => s.Effect), ['Deny', 'Deny'], 'the only other statements deny plain HTTP')
})

t.test('API: a Lambda behind a public HTTPS function URL, with the same app and its optional API key', async t => {
  template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Api'), 'Arn'] } })
  template.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Environment: { Variables: { BUCKET_NAME: { Ref: ref('Uploads') }, TABLE_NAME: { Ref: 'Metadata' }, LOG_LEVEL: 'info', NODE_OPTIONS: '--enable-source-maps' } }
  })
  template.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiFunctionUrl'), 'FunctionUrl'] } })
  for (const name of ['BucketName', 'TableName', 'FailureQueueUrl']) template.hasOutput(name, {})
  synth({ apiKey: 'a-long-enough-api-key' }).hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ API_KEY: 'a-long-enough-api-key' }) }
  })
})

t.test('the CDK app behind npm run deploy takes API_KEY, CORS_ORIGINS and the processor\'s tuning from the environment, and refuses bad ones', async t => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const cdkOut = join(outDir, 'app')
  const synthApp = (env: Record<string, string>) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: root,
    env: { ...process.env, CDK_OUTDIR: cdkOut, ...env }
  })
  await synthApp({ API_KEY: 'a-long-enough-api-key', CORS_ORIGINS: 'https://app.example.com', S3_READ_CONCURRENCY: '16' })
  const synthesized = Template.fromJSON(JSON.parse(await readFile(join(cdkOut, 'CsvMetadataService.template.json'), 'utf8')))
  synthesized.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ API_KEY: 'a-long-enough-api-key', CORS_ORIGINS: 'https://app.example.com' }) }
  })
  synthesized.hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'FileProcessorLambda',
    Environment: { Variables: Match.objectLike({ S3_READ_CONCURRENCY: '16' }) }
  })
  synthesized.hasResourceProperties('AWS::S3::Bucket', { CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ['https://app.example.com'] })] } })
  const refused = await synthApp({ API_KEY: 'short' }).then(() => undefined, (err: { stderr: string }) => err)
  t.match(refused?.stderr, /API_KEY=\(hidden\): .*16/, 'a short key stops the deploy before anything is built')
  t.notMatch(refused?.stderr, /short/, 'and is not printed')
})

t.test('verdicts on EventBridge; with WEBHOOK_URLS a rule hands them to the sender, with retries and a failure queue', async t => {
  t.equal(Object.keys(template.findResources('AWS::Events::Rule')).length, 0, 'no webhook resources without WEBHOOK_URLS')
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const urls = ['https://hooks.example/in', 'https://b.example/h', 'https://c.example/h', 'https://d.example/h', 'https://e.example/h', 'https://f.example/h']
  const hooks = synth({ eventBusName: 'verdicts', webhooks: { senderDir: webhookSenderDir, urls, secret } })
  hooks.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'FileProcessorLambda', Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: 'verdicts' }) } })
  hooks.hasResourceProperties('AWS::Lambda::Function', {
    FunctionName: 'WebhookSenderLambda',
    Runtime: 'nodejs22.x',
    Timeout: 30,
    Environment: { Variables: { WEBHOOK_URLS: urls.join(','), WEBHOOK_SECRET: secret, LOG_LEVEL: 'info', NODE_OPTIONS: '--enable-source-maps' } }
  })
  const queue = Object.keys(hooks.findResources('AWS::SQS::Queue')).find(id => id.startsWith('WebhookFailures'))!
  const rules = Object.values(hooks.findResources('AWS::Events::Rule')) as Array<{ Properties: Record<string, any> }>
  t.same(rules.map(rule => rule.Properties.Targets.length), [5, 1], 'one target per URL, at most 5 per rule')
  for (const rule of rules) {
    t.match(rule.Properties, { EventBusName: 'verdicts', EventPattern: { source: ['csv-metadata'], 'detail-type': ['File processed', 'File failed'] } })
  }
  const targets = rules.flatMap(rule => rule.Properties.Targets)
  t.same(targets.map(target => JSON.parse(target.InputTransformer.InputTemplate.replace('<f1>', 'null')).url), urls, 'each target addresses one URL')
  for (const target of targets) {
    t.match(target, {
      Arn: { 'Fn::GetAtt': [/^WebhookSender/, 'Arn'] },
      InputTransformer: { InputPathsMap: { f1: '$' } },
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } }
    })
  }
  hooks.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
    FunctionName: { Ref: Match.stringLikeRegexp('^WebhookSender') },
    MaximumRetryAttempts: 2,
    MaximumEventAgeInSeconds: 21600,
    DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } }
  })
  hooks.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true })
  hooks.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebhookSender'), 'Arn'] } })
  hooks.hasOutput('WebhookFailureQueueUrl', {})
  const [, sender] = Object.entries(hooks.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('WebhookSender'))!
  const role = hooks.toJSON().Resources[sender.Properties.Role['Fn::GetAtt'][0]]
  t.same(role.Properties.Policies[0].PolicyDocument.Statement.flatMap(actions).sort(), ['logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage'], 'the sender may only log and keep what failed')
})
