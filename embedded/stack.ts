// The embedded AWS stack: emulators on one port, bucket and table provisioned, S3 events delivered to the handler,
// verdict events on the bus delivered as webhooks.
import { join } from 'node:path'
import pino from 'pino'
import { createDocumentClient, createDynamoDBClient, createS3Client } from '../aws/clients.ts'
import { MetadataTable } from '../aws/metadata-table.ts'
import { ensureBucket, ensureTable } from '../aws/provision.ts'
import { reconcile, type ReconcileResult } from '../aws/reconcile.ts'
import { PROCESSOR, localTuning, processorEnvironment } from '../infra/pipeline.ts'
import { LOG_FORMAT, type Logger } from '../shared/logger.ts'
import { objectCreatedEvent } from '../shared/s3-events.ts'
import { recordOfEvent } from '../shared/verdict-event.ts'
import { shownUrl } from '../shared/webhooks.ts'
import { startAwsEmulator, type AwsEmulator } from './aws-emulator.ts'
import { variableName, type Credentials } from '../shared/config.ts'
import { bucketCorsOrigins, EMBEDDED_CREDENTIALS, EmbeddedSettings, type EmbeddedConfig } from './config.ts'
import { lockDataDir } from './data-lock.ts'
import { deadLetterEvent, readDeadLetters, writeDeadLetter } from './dead-letters.ts'
import { LambdaRuntime, type LambdaRuntimeOptions } from './lambda-runtime.ts'
import { WebhookDeliveries } from './webhook-deliveries.ts'

export type StackConfig = Pick<EmbeddedConfig, 'awsRegion' | 'bucketName' | 'tableName' | 'embeddedPort' | 'dataDir' |
'lambdaConcurrency' | 'maxRecordBytes' | 'maxColumns' | 'maxDecompressedBytes' | 'corsOrigins' | 'host' | 'port' | 'logLevel'> &
Partial<Pick<EmbeddedConfig, 'credentials' | 'eventBusName' | 'webhooks'>>

export interface EmbeddedStack {
  /** The S3 + DynamoDB endpoint, e.g. http://127.0.0.1:4566. */
  endpoint: string
  runtime: LambdaRuntime
  /**
   * Settles once the files that lost their processing while the stack was down (no metadata, stale or stuck
   * metadata, records of deleted objects) have been re-driven: nothing uploaded before a crash is lost.
   */
  caughtUp: Promise<ReconcileResult>
  close: () => Promise<void>
}

export type RuntimeOptions = Partial<Pick<LambdaRuntimeOptions, 'handlerModule' | 'retryDelaysMs' | 'output' | 'onFailure'>> & {
  /** Waits between webhook attempts (shared/webhooks.ts WEBHOOK_RETRY_DELAYS_MS by default); tests shorten them. */
  webhookRetryDelaysMs?: number[]
  /** Where the stack's own lines go (webhook deliveries); pino on stdout at LOG_LEVEL by default. */
  logger?: Logger
}

/** Starts the stack; fails with a clear error when the port or the data directory is already in use. */
export async function startEmbeddedStack (config: StackConfig, runtimeOptions: RuntimeOptions = {}): Promise<EmbeddedStack> {
  const release = lockDataDir(config.dataDir)
  const credentials = config.credentials ?? EMBEDDED_CREDENTIALS
  let runtime: LambdaRuntime | undefined
  let emulator: AwsEmulator | undefined
  let closing = false
  const { onFailure, webhookRetryDelaysMs, logger, ...options } = runtimeOptions
  const log = logger ?? pino({ ...LOG_FORMAT, level: config.logLevel })
  const webhooks = config.webhooks === undefined
    ? undefined
    : new WebhookDeliveries({ dataDir: config.dataDir, targets: config.webhooks, logger: log, ...(webhookRetryDelaysMs === undefined ? {} : { retryDelaysMs: webhookRetryDelaysMs }) })
  try {
    emulator = await startAwsEmulator({
      host: '127.0.0.1',
      port: config.embeddedPort,
      dataDir: config.dataDir,
      buckets: [config.bucketName],
      region: config.awsRegion,
      credentials,
      corsOrigins: bucketCorsOrigins(config),
      // Once closing, new events are left to the next start's catch-up.
      onS3Event: event => { if (!closing) runtime?.invoke(event) },
      eventBuses: config.eventBusName === undefined ? [] : [config.eventBusName],
      // The rule of this bus: every verdict to every webhook URL (kept on disk before PutEvents answers).
      onBusEvents: events => {
        for (const event of events) {
          const read = recordOfEvent(event)
          if ('record' in read) webhooks?.enqueue(read.record)
        }
      }
    })
    const endpoint = emulator.endpoint
    const clientConfig = { awsRegion: config.awsRegion, awsEndpoint: endpoint, credentials }
    const s3 = createS3Client(clientConfig)

    runtime = new LambdaRuntime({
      codeDir: join(config.dataDir, 'lambda'),
      concurrency: config.lambdaConcurrency,
      env: () => lambdaEnvironment(config, endpoint, credentials),
      onFailure: (event, error) => {
        writeDeadLetter(config.dataDir, event, error)
        onFailure?.(event, error)
      },
      ...options
    })
    const started = runtime
    // Resolving means ready: every worker has loaded the handler, so the first upload does not wait for one.
    await Promise.all([
      started.start(),
      (async () => {
        await ensureBucket(s3, config.bucketName)
        await ensureTable(createDynamoDBClient(clientConfig), config.tableName)
      })()
    ])
    const running = emulator
    const resumed = webhooks?.start() ?? 0
    if (config.webhooks !== undefined) log.info({ urls: config.webhooks.urls.map(shownUrl), pending: resumed }, `sending webhooks to ${config.webhooks.urls.length} URL(s)${resumed > 0 ? `; ${resumed} delivery(ies) left pending by the last run resumed` : ''}`)
    const table = new MetadataTable(createDocumentClient(clientConfig), config.tableName)
    // A file with a dead letter is re-driven with the letter's own event: its upload time and sequencer are kept.
    const letters = readDeadLetters(config.dataDir)
    const caughtUp = reconcile({ s3, table, bucket: config.bucketName, stuckBefore: new Date() }, {
      redrive: async object => started.invoke(deadLetterEvent(letters, config.bucketName, object) ?? objectCreatedEvent(config.bucketName, config.awsRegion, object)),
      forget: async key => { await table.markDeleted(key, new Date().toISOString()) }
    })
    caughtUp.catch(() => {}) // handled by whoever awaits it (npm start logs the outcome)
    return {
      endpoint,
      runtime: started,
      caughtUp,
      // Running invocations finish while S3 and DynamoDB are still up; what cannot finish is re-driven on the next start.
      close: async () => {
        closing = true
        await caughtUp.catch(() => {})
        await started.close()
        await webhooks?.close()
        await running.close()
        release()
      }
    }
  } catch (err) {
    closing = true
    await runtime?.close(0)
    await webhooks?.close()
    await emulator?.close()
    release()
    throw err
  }
}

/** Variables of this process a worker must not see: the product's settings (API_KEY above all) and AWS credentials. */
const NOT_FOR_WORKERS = new Set([
  ...Object.keys(EmbeddedSettings.properties).map(variableName),
  'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'
])

/**
 * The environment Lambda would give the function, pointed at the embedded endpoint: the deployed processor's
 * variables and the runtime's own; of this process's, only what is not a setting or a credential.
 */
function lambdaEnvironment (config: StackConfig, endpoint: string, credentials: Credentials): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_FOR_WORKERS.has(name))),
    // The tuning as the user set it (settings are otherwise kept from workers, above), over this machine's defaults.
    ...processorEnvironment(config, localTuning(process.env)),
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: config.awsRegion,
    AWS_LAMBDA_FUNCTION_NAME: PROCESSOR.functionName,
    // The parent process has printed the SDK's Node-version notice already.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'
  }
}
