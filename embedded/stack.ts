// The embedded AWS stack: emulators on one port, bucket and table provisioned, S3 events delivered to the handler.
import type { Config } from '../shared/config.ts'
import { createDocumentClient, createDynamoDBClient, createS3Client, EMBEDDED_CREDENTIALS } from '../shared/aws/clients.ts'
import { reconcile, type ReconcileResult } from '../shared/aws/drift.ts'
import { MetadataTable } from '../shared/aws/metadata-table.ts'
import { ensureBucket, ensureTable } from '../shared/aws/provision.ts'
import { encodeEventKey } from '../shared/s3-event-key.ts'
import { objectCreatedEvent } from '../shared/s3-events.ts'
import { startAwsEmulator, type AwsEmulator, type RawS3Event } from './aws-emulator.ts'
import { lockDataDir } from './data-lock.ts'
import { writeDeadLetter } from './dead-letters.ts'
import { LambdaRuntime, type LambdaRuntimeOptions } from './lambda-runtime.ts'

export type StackConfig = Pick<Config, 'region' | 'bucketName' | 'tableName' | 'embeddedPort' | 'dataDir' |
'lambdaConcurrency' | 'maxRecordBytes' | 'maxColumns' | 'corsOrigins'>

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

export type RuntimeOptions = Partial<Pick<LambdaRuntimeOptions, 'handlerModule' | 'retryDelaysMs' | 'output' | 'onFailure'>>

/** Starts the stack; fails with a clear error when the port or the data directory is already in use. */
export async function startEmbeddedStack (config: StackConfig, runtimeOptions: RuntimeOptions = {}): Promise<EmbeddedStack> {
  const release = lockDataDir(config.dataDir)
  let runtime: LambdaRuntime | undefined
  let emulator: AwsEmulator | undefined
  let closing = false
  try {
    emulator = await startAwsEmulator({
      host: '127.0.0.1',
      port: config.embeddedPort,
      dataDir: config.dataDir,
      buckets: [config.bucketName],
      corsOrigins: config.corsOrigins,
      // Once closing, new events are left to the next start's catch-up.
      onS3Event: event => { if (!closing) runtime?.invoke(asDelivered(event, config.region)) }
    })
    const endpoint = emulator.endpoint
    const clientConfig = { region: config.region, awsEndpoint: endpoint, stack: 'embedded' as const }
    const s3 = createS3Client(clientConfig)
    await ensureBucket(s3, config.bucketName)
    await ensureTable(createDynamoDBClient(clientConfig), config.tableName)

    const { onFailure, ...options } = runtimeOptions
    runtime = new LambdaRuntime({
      concurrency: config.lambdaConcurrency,
      env: () => lambdaEnvironment(config, endpoint),
      onFailure: (event, error) => {
        writeDeadLetter(config.dataDir, event, error)
        onFailure?.(event, error)
      },
      ...options
    })
    const started = runtime
    const running = emulator
    const table = new MetadataTable(createDocumentClient(clientConfig), config.tableName)
    const caughtUp = reconcile({ s3, table, bucket: config.bucketName, stuckBefore: new Date() }, {
      redrive: async object => started.invoke(objectCreatedEvent(config.bucketName, config.region, object)),
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
        await running.close()
        release()
      }
    }
  } catch (err) {
    await emulator?.close()
    release()
    throw err
  }
}

/** The environment Lambda would give the function, pointed at the embedded endpoint. */
function lambdaEnvironment (config: StackConfig, endpoint: string): NodeJS.ProcessEnv {
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...inherited } = process.env
  return {
    ...inherited,
    STACK: 'external',
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey,
    AWS_REGION: config.region,
    AWS_LAMBDA_FUNCTION_NAME: 'FileProcessorLambda',
    BUCKET_NAME: config.bucketName,
    TABLE_NAME: config.tableName,
    MAX_RECORD_BYTES: String(config.maxRecordBytes),
    MAX_COLUMNS: String(config.maxColumns)
  }
}

/** Makes s3rver's event look like the one S3 delivers: URL-encoded keys, a proper ARN, the configured region. */
export function asDelivered (event: RawS3Event, region: string): RawS3Event {
  return {
    Records: event.Records.map(record => ({
      ...record,
      awsRegion: region,
      s3: {
        ...record.s3,
        bucket: { ...record.s3.bucket, arn: `arn:aws:s3:::${record.s3.bucket.name}` },
        object: { ...record.s3.object, key: encodeEventKey(record.s3.object.key) }
      }
    }))
  }
}
