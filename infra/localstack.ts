// Provisions the whole pipeline on LocalStack (or any AWS API) with the SDK: idempotent, so it runs on every start.
import { PutBucketCorsCommand, PutBucketLifecycleConfigurationCommand, PutBucketNotificationConfigurationCommand, type S3Client } from '@aws-sdk/client-s3'
import { DescribeTableCommand, DescribeTimeToLiveCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { CreateRoleCommand, GetRoleCommand, NoSuchEntityException, PutRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam'
import {
  AddPermissionCommand, CreateFunctionCommand, GetFunctionCommand, GetPolicyCommand, InvalidParameterValueException, PutFunctionEventInvokeConfigCommand,
  ResourceNotFoundException, UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2, type LambdaClient, type Runtime
} from '@aws-sdk/client-lambda'
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs'
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureBucket, ensureTable } from '../aws/provision.ts'
import { LAMBDA_TRUST_POLICY, policyDocument, processorStatements, PROCESSOR, TTL_ATTRIBUTE } from './pipeline.ts'

export interface PipelineClients {
  s3: S3Client
  dynamodb: DynamoDBClient
  iam: IAMClient
  lambda: LambdaClient
  sqs: SQSClient
}

export interface PipelineSpec {
  bucketName: string
  tableName: string
  /** The bundled processor (`npm run build` writes dist/lambda/processor.zip). */
  zip: Uint8Array
  /** Variables the function runs with (bucket, table, limits). */
  environment: Record<string, string>
  /** The bus the processor publishes verdicts on (EVENT_BUS_NAME); the default bus when undefined. */
  eventBusName?: string | undefined
  /** Browser origins allowed to PUT to the bucket; none means no CORS rule. */
  corsOrigins?: string[]
  log?: (message: string) => void
}

export interface ProvisionedPipeline {
  functionArn: string
  roleArn: string
  queueUrl: string
  queueArn: string
}

export async function provisionPipeline (clients: PipelineClients, spec: PipelineSpec): Promise<ProvisionedPipeline> {
  const log = spec.log ?? (() => {})
  const name = PROCESSOR.functionName
  const bucketArn = `arn:aws:s3:::${spec.bucketName}`

  await ensureBucket(clients.s3, spec.bucketName)
  if (spec.corsOrigins !== undefined && spec.corsOrigins.length > 0) await allowBrowserUploads(clients.s3, spec.bucketName, spec.corsOrigins)
  log(`bucket s3://${spec.bucketName}`)
  await ensureTable(clients.dynamodb, spec.tableName)
  await expireAbandonedUploads(clients, spec.bucketName, spec.tableName)
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: spec.tableName }))
  const tableArn = required(Table?.TableArn, 'table ARN')
  log(`table ${tableArn}`)
  const [, , , region, account] = tableArn.split(':')

  const { queueUrl, queueArn } = await ensureQueue(clients.sqs, `${name}-failures`)
  log(`on-failure queue ${queueArn}`)
  const eventBusArn = `arn:aws:events:${region}:${account}:event-bus/${spec.eventBusName ?? 'default'}`
  const roleArn = await ensureRole(clients.iam, `${name}-role`, policyDocument(processorStatements({
    bucketArn, tableArn, queueArn, eventBusArn, logGroupArn: `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/${name}`
  })))
  log(`role ${roleArn}`)

  const functionArn = await ensureFunction(clients.lambda, { ...PROCESSOR, name, roleArn, zip: spec.zip, environment: spec.environment })
  log(`function ${functionArn} (${PROCESSOR.runtime})`)
  await clients.lambda.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: name,
    MaximumRetryAttempts: PROCESSOR.retryAttempts,
    DestinationConfig: { OnFailure: { Destination: queueArn } }
  }))
  log(`async invocation: ${PROCESSOR.retryAttempts} retries, then ${queueArn}`)

  await allowInvoke(clients.lambda, name, { statementId: 's3-invoke', principal: 's3.amazonaws.com', sourceArn: bucketArn, account })
  await clients.s3.send(new PutBucketNotificationConfigurationCommand({
    Bucket: spec.bucketName,
    NotificationConfiguration: {
      LambdaFunctionConfigurations: [{
        Id: 'process-csv-files',
        LambdaFunctionArn: functionArn,
        Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*']
      }]
    }
  }))
  log(`notification: s3://${spec.bucketName} ObjectCreated/ObjectRemoved -> ${name}`)
  return { functionArn, roleArn, queueUrl, queueArn }
}

async function allowBrowserUploads (s3: S3Client, bucket: string, origins: string[]): Promise<void> {
  await s3.send(new PutBucketCorsCommand({
    Bucket: bucket,
    CORSConfiguration: { CORSRules: [{ AllowedMethods: ['PUT', 'POST'], AllowedOrigins: origins, AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3600 }] }
  }))
}

/** As on AWS: multipart uploads never completed go after a day, and DynamoDB expires `uploading` records nobody sent. */
async function expireAbandonedUploads (clients: Pick<PipelineClients, 's3' | 'dynamodb'>, bucket: string, tableName: string): Promise<void> {
  await clients.s3.send(new PutBucketLifecycleConfigurationCommand({
    Bucket: bucket,
    LifecycleConfiguration: { Rules: [{ ID: 'abort-abandoned-multipart-uploads', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] }
  }))
  const { TimeToLiveDescription } = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }))
  if (TimeToLiveDescription?.AttributeName === TTL_ATTRIBUTE && TimeToLiveDescription.TimeToLiveStatus !== 'DISABLED') return
  await clients.dynamodb.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }))
}

export async function ensureQueue (sqs: SQSClient, queueName: string, retentionSeconds: number = PROCESSOR.failureRetentionSeconds): Promise<{ queueUrl: string, queueArn: string }> {
  // CreateQueue returns the existing queue when the attributes match.
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: queueName,
    Attributes: { MessageRetentionPeriod: String(retentionSeconds) }
  }))
  const queueUrl = required(QueueUrl, 'queue URL')
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  return { queueUrl, queueArn: required(Attributes?.QueueArn, 'queue ARN') }
}

export async function ensureRole (iam: IAMClient, roleName: string, policy: object): Promise<string> {
  let roleArn: string
  try {
    roleArn = required((await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn, 'role ARN')
  } catch (err) {
    if (!(err instanceof NoSuchEntityException)) throw err
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(LAMBDA_TRUST_POLICY) }))
    roleArn = required(Role?.Arn, 'role ARN')
  }
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'least-privilege', PolicyDocument: JSON.stringify(policy) }))
  return roleArn
}

interface FunctionSpec {
  name: string
  roleArn: string
  zip: Uint8Array
  environment: Record<string, string>
  runtime: Runtime
  handler: string
  memorySize: number
  timeout: number
}

/** Creates the function, or brings an existing one up to date with this code and configuration. */
export async function ensureFunction (lambda: LambdaClient, spec: FunctionSpec): Promise<string> {
  const configuration = {
    FunctionName: spec.name,
    Role: spec.roleArn,
    Runtime: spec.runtime,
    Handler: spec.handler,
    MemorySize: spec.memorySize,
    Timeout: spec.timeout,
    Environment: { Variables: spec.environment }
  }
  // LocalStack pulls the runtime's image on first use, which can take minutes on a slow network.
  const waiter = { client: lambda, maxWaitTime: 300, minDelay: 1, maxDelay: 5 }
  const existing = await lambda.send(new GetFunctionCommand({ FunctionName: spec.name })).catch((err: unknown) => {
    if (err instanceof ResourceNotFoundException) return undefined
    throw err
  })
  if (existing === undefined) {
    const created = await retryWhileRoleIsNew(() => lambda.send(new CreateFunctionCommand({ ...configuration, Code: { ZipFile: spec.zip } })))
    await waitUntilFunctionActiveV2(waiter, { FunctionName: spec.name })
    return required(created.FunctionArn, 'function ARN')
  }
  if (existing.Configuration?.CodeSha256 !== createHash('sha256').update(spec.zip).digest('base64')) {
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: spec.name, ZipFile: spec.zip }))
    await waitUntilFunctionUpdatedV2(waiter, { FunctionName: spec.name })
  }
  await lambda.send(new UpdateFunctionConfigurationCommand(configuration))
  await waitUntilFunctionUpdatedV2(waiter, { FunctionName: spec.name })
  return required(existing.Configuration?.FunctionArn, 'function ARN')
}

/** IAM is eventually consistent: on AWS a role a few seconds old cannot be assumed by Lambda yet. */
async function retryWhileRoleIsNew<T> (create: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create()
    } catch (err) {
      if (!(err instanceof InvalidParameterValueException) || !/role/i.test(err.message) || attempt === 10) throw err
      await sleep(3000)
    }
  }
}

interface InvokePermission { statementId: string, principal: string, sourceArn: string, account: string | undefined }

/** Lets `principal` invoke the function, from `sourceArn` in `account` only; once. */
export async function allowInvoke (lambda: LambdaClient, functionName: string, { statementId, principal, sourceArn, account }: InvokePermission): Promise<void> {
  const statements = await lambda.send(new GetPolicyCommand({ FunctionName: functionName })).then(
    ({ Policy }) => (JSON.parse(Policy ?? '{}') as { Statement?: Array<{ Sid?: string }> }).Statement ?? [],
    (err: unknown) => {
      if (err instanceof ResourceNotFoundException) return []
      throw err
    })
  // AWS refuses a second statement with the same id; some emulators add it.
  if (statements.some(statement => statement.Sid === statementId)) return
  await lambda.send(new AddPermissionCommand({
    FunctionName: functionName,
    StatementId: statementId,
    Action: 'lambda:InvokeFunction',
    Principal: principal,
    SourceArn: sourceArn,
    // Bucket ARNs carry no account: without this, a bucket of that name in another account could invoke the function.
    ...(account === undefined ? {} : { SourceAccount: account })
  }))
}

export function required<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the AWS API answered without the ${what}`)
  return value
}
