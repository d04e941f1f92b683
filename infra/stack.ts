// The AWS deployment as a CDK stack: bucket, table, the processor with its failure queue and trigger, the API behind a
// function URL; verdicts on EventBridge, and with WEBHOOK_URLS a rule and the function that sends the webhooks.
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb'
import { EventBus, EventField, Rule, RuleTargetInput, type IEventBus } from 'aws-cdk-lib/aws-events'
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets'
import { PolicyDocument, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam'
import { CfnEventInvokeConfig, Code, Function as LambdaFunction, FunctionUrlAuthType, Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda'
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs'
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, HttpMethods } from 'aws-cdk-lib/aws-s3'
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications'
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs'
import type { Construct } from 'constructs'
import { DEFAULT_LIMITS, type ExtractLimits } from '../shared/limits.ts'
import {
  API_FUNCTION, apiStatements, policyDocument, PROCESSOR, processorEnvironment, processorStatements, type ProcessorTuning, tableDefinition, TTL_ATTRIBUTE,
  VERDICT_EVENT_PATTERN, WEBHOOK_SENDER, webhookSenderStatements, type PolicyStatement
} from './pipeline.ts'

export interface CsvMetadataStackProps extends StackProps {
  /** `npm run build`'s processor bundle directory. */
  processorDir: string
  /** `npm run build`'s API function directory (bundle and Swagger UI assets). */
  apiFunctionDir: string
  /** Browser origins allowed to PUT to the bucket and call the API; default: any (uploads are authorized by the presigned URL). */
  corsOrigins?: string[]
  /** When set, the API requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined
  /** The processor's limits (MAX_RECORD_BYTES, MAX_COLUMNS, MAX_DECOMPRESSED_BYTES); the defaults otherwise. */
  maxRecordBytes?: number
  maxColumns?: number
  maxDecompressedBytes?: number
  /** How the processor reads and profiles (PROFILE_WORKERS, S3_RANGE_BYTES, S3_READ_CONCURRENCY); the defaults otherwise. */
  processorTuning?: ProcessorTuning
  /** An existing EventBridge bus the processor publishes verdicts on (EVENT_BUS_NAME); the account's default bus otherwise. */
  eventBusName?: string | undefined
  /** With WEBHOOK_URLS: the sender's bundle, the URLs and the signing secret; no webhook resources otherwise. */
  webhooks?: { senderDir: string, urls: string[], secret: string } | undefined
}

export class CsvMetadataStack extends Stack {
  constructor (scope: Construct, id: string, props: CsvMetadataStackProps) {
    super(scope, id, props)
    const corsOrigins = props.corsOrigins ?? ['*']

    // Uploads and metadata outlive the stack: `npm run destroy` keeps them (the README says how to delete them).
    const bucket = new Bucket(this, 'Uploads', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // A page PUTs files and parts through presigned URLs and reads each part's ETag. The default, any origin,
      // includes the API's own (the page at /); a CORS_ORIGINS list must name the ApiUrl's origin for that page.
      cors: [{ allowedMethods: [HttpMethods.PUT, HttpMethods.POST], allowedOrigins: corsOrigins, allowedHeaders: ['*'], exposedHeaders: ['ETag'], maxAge: 3600 }],
      // Multipart uploads never completed (a closed tab) are removed, parts and all, a day after they began.
      lifecycleRules: [{ id: 'abort-abandoned-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN
    })
    const table = metadataTable(this)

    const failures = new Queue(this, 'ProcessorFailures', {
      retentionPeriod: Duration.seconds(PROCESSOR.failureRetentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true
    })

    const bus = EventBus.fromEventBusName(this, 'VerdictBus', props.eventBusName ?? 'default')
    const environment = processorEnvironment({ bucketName: bucket.bucketName, tableName: table.ref, logLevel: 'info', eventBusName: props.eventBusName, ...limitsOf(props) }, props.processorTuning)
    const processor = this.#function('Processor', {
      ...PROCESSOR,
      code: props.processorDir,
      environment,
      statements: logGroupArn => processorStatements({ bucketArn: bucket.bucketArn, tableArn: table.attrArn, queueArn: failures.queueArn, eventBusArn: bus.eventBusArn, logGroupArn })
    })
    // Written with the L1 resource: the L2 destination would add its own, broader SQS grant to the role.
    new CfnEventInvokeConfig(this, 'ProcessorAsyncInvocation', {
      functionName: processor.functionName,
      qualifier: '$LATEST',
      maximumRetryAttempts: PROCESSOR.retryAttempts,
      destinationConfig: { onFailure: { destination: failures.queueArn } }
    })
    const trigger = new LambdaDestination(processor)
    bucket.addEventNotification(EventType.OBJECT_CREATED, trigger)
    bucket.addEventNotification(EventType.OBJECT_REMOVED, trigger)

    const api = this.#function('Api', {
      ...API_FUNCTION,
      code: props.apiFunctionDir,
      environment: {
        ...environment,
        ...(props.corsOrigins === undefined ? {} : { CORS_ORIGINS: props.corsOrigins.join(',') }),
        ...(props.apiKey === undefined ? {} : { API_KEY: props.apiKey })
      },
      statements: logGroupArn => apiStatements({ bucketArn: bucket.bucketArn, tableArn: table.attrArn, logGroupArn })
    })
    // Public HTTPS endpoint; the API's own API_KEY guards it when set.
    const url = api.addFunctionUrl({ authType: FunctionUrlAuthType.NONE })

    new CfnOutput(this, 'ApiUrl', { value: url.url, description: 'Base URL of the API (Swagger UI at docs)' })
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName })
    new CfnOutput(this, 'TableName', { value: table.ref })
    new CfnOutput(this, 'FailureQueueUrl', { value: failures.queueUrl, description: 'Events the processor failed on after its retries' })
    if (props.webhooks !== undefined) this.#webhooks(bus, props.webhooks)
  }

  /**
   * A rule on the bus hands every verdict to the sender, once per URL (one target each, addressed `{url, event}`), so
   * a URL that failed is retried alone. EventBridge retries the hand-over (185 times over 24 h); Lambda retries a
   * failed send twice; what still fails is kept in the WebhookFailures queue, with its URL, and logged.
   */
  #webhooks (bus: IEventBus, webhooks: NonNullable<CsvMetadataStackProps['webhooks']>): void {
    const failures = new Queue(this, 'WebhookFailures', {
      retentionPeriod: Duration.seconds(WEBHOOK_SENDER.failureRetentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true
    })
    const sender = this.#function('WebhookSender', {
      ...WEBHOOK_SENDER,
      code: webhooks.senderDir,
      environment: { WEBHOOK_URLS: webhooks.urls.join(','), WEBHOOK_SECRET: webhooks.secret, LOG_LEVEL: 'info', NODE_OPTIONS: '--enable-source-maps' },
      statements: logGroupArn => webhookSenderStatements({ logGroupArn, queueArn: failures.queueArn })
    })
    new CfnEventInvokeConfig(this, 'WebhookSenderAsyncInvocation', {
      functionName: sender.functionName,
      qualifier: '$LATEST',
      maximumRetryAttempts: WEBHOOK_SENDER.retryAttempts,
      maximumEventAgeInSeconds: WEBHOOK_SENDER.maxEventAgeSeconds,
      destinationConfig: { onFailure: { destination: failures.queueArn } }
    })
    // A rule takes at most 5 targets: one rule per 5 URLs.
    for (let first = 0; first < webhooks.urls.length; first += MAX_TARGETS_PER_RULE) {
      new Rule(this, first === 0 ? 'VerdictsToWebhooks' : `VerdictsToWebhooks${first / MAX_TARGETS_PER_RULE + 1}`, {
        eventBus: bus,
        description: 'Every verdict of the CSV metadata service to the webhook sender, once per URL',
        eventPattern: VERDICT_EVENT_PATTERN,
        targets: webhooks.urls.slice(first, first + MAX_TARGETS_PER_RULE).map(url => new LambdaTarget(sender, {
          event: RuleTargetInput.fromObject({ url, event: EventField.fromPath('$') }),
          retryAttempts: WEBHOOK_SENDER.ruleRetryAttempts,
          maxEventAge: Duration.seconds(WEBHOOK_SENDER.ruleMaxEventAgeSeconds),
          deadLetterQueue: failures
        }))
      })
    }
    new CfnOutput(this, 'WebhookFailureQueueUrl', { value: failures.queueUrl, description: 'Verdict events whose webhooks could not be delivered' })
  }

  /** A Node.js function with its own log group and a role holding exactly `statements`. */
  #function (id: string, spec: FunctionSpec): LambdaFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, {
      ...(spec.functionName === undefined ? {} : { logGroupName: `/aws/lambda/${spec.functionName}` }),
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY
    })
    const logGroupArn = this.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { leastPrivilege: PolicyDocument.fromJson(policyDocument(spec.statements(logGroupArn))) }
    })
    return new LambdaFunction(this, id, {
      ...(spec.functionName === undefined ? {} : { functionName: spec.functionName }),
      runtime: new Runtime(spec.runtime, RuntimeFamily.NODEJS),
      handler: spec.handler,
      code: Code.fromAsset(spec.code),
      memorySize: spec.memorySize,
      timeout: Duration.seconds(spec.timeout),
      environment: spec.environment,
      role,
      logGroup
    })
  }
}

/** EventBridge's limit of targets on one rule. */
const MAX_TARGETS_PER_RULE = 5

interface FunctionSpec {
  functionName?: string
  runtime: string
  handler: string
  code: string
  memorySize: number
  timeout: number
  environment: Record<string, string>
  statements: (logGroupArn: string) => PolicyStatement[]
}

function limitsOf (props: CsvMetadataStackProps): ExtractLimits {
  return {
    maxRecordBytes: props.maxRecordBytes ?? DEFAULT_LIMITS.maxRecordBytes,
    maxColumns: props.maxColumns ?? DEFAULT_LIMITS.maxColumns,
    maxDecompressedBytes: props.maxDecompressedBytes ?? DEFAULT_LIMITS.maxDecompressedBytes
  }
}

/** The table as the embedded stack and LocalStack create it (tableDefinition), plus point-in-time recovery and TTL. */
function metadataTable (scope: Construct): CfnTable {
  const definition = tableDefinition('unused')
  const table = new CfnTable(scope, 'Metadata', {
    billingMode: definition.BillingMode,
    attributeDefinitions: definition.AttributeDefinitions!.map(a => ({ attributeName: a.AttributeName!, attributeType: a.AttributeType! })),
    keySchema: definition.KeySchema!.map(k => ({ attributeName: k.AttributeName!, keyType: k.KeyType! })),
    globalSecondaryIndexes: definition.GlobalSecondaryIndexes!.map(index => ({
      indexName: index.IndexName!,
      keySchema: index.KeySchema!.map(k => ({ attributeName: k.AttributeName!, keyType: k.KeyType! })),
      projection: { projectionType: index.Projection!.ProjectionType! }
    })),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // DynamoDB removes an `uploading` record whose upload never came (it carries the expiry, in epoch seconds).
    timeToLiveSpecification: { attributeName: TTL_ATTRIBUTE, enabled: true },
    sseSpecification: { sseEnabled: true }
  })
  table.applyRemovalPolicy(RemovalPolicy.RETAIN)
  return table
}
