// The deployed pipeline, described once: the processor function, its environment and permissions, the table.
// CDK (stack.ts), LocalStack provisioning (localstack.ts), the embedded stack and the bench all read it.
import { availableParallelism } from 'node:os'
import { CoreSettings, readSettings, variableName, type Config } from '../shared/config.ts'
import { VERDICT_EVENT_SOURCE, VerdictDetailType } from '../shared/verdict-event.ts'

export { tableDefinition, LISTING_INDEX, FEED_INDEX, TTL_ATTRIBUTE } from '../aws/metadata-table.ts'
export { apiStatements, processorStatements, webhookSenderStatements, policyDocument, LAMBDA_TRUST_POLICY, type PolicyStatement } from './permissions.ts'

/** Every Lambda bundle of `npm run build` is an `index.mjs` exporting `handler`. */
export const BUNDLE_HANDLER = 'index.handler'

/** The S3-triggered processor, wherever it runs. */
export const PROCESSOR = {
  /** The seed's name, and what `aws logs tail /aws/lambda/…` names. */
  functionName: 'FileProcessorLambda',
  handler: BUNDLE_HANDLER,
  runtime: 'nodejs22.x',
  memorySize: 1024,
  /** Seconds; a 5 GiB file at the measured ~700 MB/s takes under 10 s, the rest is headroom for slow reads. */
  timeout: 300,
  /** Retries of a failed asynchronous invocation, then the event goes to the on-failure queue. */
  retryAttempts: 2,
  /** Failed events are kept for 14 days, SQS's longest retention. */
  failureRetentionSeconds: 14 * 24 * 3600
} as const

/** The function that sends webhooks on AWS, an EventBridge rule's target; deployed when WEBHOOK_URLS is set. */
export const WEBHOOK_SENDER = {
  functionName: 'WebhookSenderLambda',
  handler: BUNDLE_HANDLER,
  runtime: 'nodejs22.x',
  memorySize: 256,
  /** Seconds: every URL is tried at once, each for at most 15 s (shared/webhooks.ts WEBHOOK_TIMEOUT_MS). */
  timeout: 30,
  /** Lambda retries a failed invocation twice (about one, then two minutes later): the most it allows. */
  retryAttempts: 2,
  /** An event this old (seconds) is not tried again, and goes to the failure queue. */
  maxEventAgeSeconds: 6 * 3600,
  /** EventBridge's retries of handing an event to the function (throttling, an outage): its maximum, over 24 hours. */
  ruleRetryAttempts: 185,
  ruleMaxEventAgeSeconds: 24 * 3600,
  /** Events that could not be delivered are kept 14 days, SQS's longest retention. */
  failureRetentionSeconds: 14 * 24 * 3600
} as const

/** The events the webhook rule matches: every verdict the processor publishes. */
export const VERDICT_EVENT_PATTERN = { source: [VERDICT_EVENT_SOURCE], detailType: Object.values(VerdictDetailType) }

/**
 * The API as a function (AWS only; elsewhere it is a server). Its timeout leaves room for the longest answers:
 * `?wait=30`, and an event stream, which a function URL buffers whole, so api/lambda.ts ends each after 25 s.
 */
export const API_FUNCTION = { handler: BUNDLE_HANDLER, runtime: 'nodejs22.x', memorySize: 512, timeout: 40 } as const

/** How the processor reads and profiles (PROFILE_WORKERS, S3_RANGE_BYTES, S3_READ_CONCURRENCY): each left unset takes its default. */
export type ProcessorTuning = Partial<Pick<Config, 'profileWorkers' | 's3RangeBytes' | 's3ReadConcurrency'>>

/** The tuning settings given in `env` (validated; a bad value throws a ConfigError naming it), and only those. */
export function processorTuning (env: NodeJS.ProcessEnv): ProcessorTuning {
  const settings = readSettings(CoreSettings, env)
  const tuning: ProcessorTuning = {}
  for (const setting of ['profileWorkers', 's3RangeBytes', 's3ReadConcurrency'] as const) {
    if ((env[variableName(setting)] ?? '') !== '') tuning[setting] = settings[setting]
  }
  return tuning
}

/**
 * The processor's tuning on this machine (the embedded stack, LocalStack), under what the user sets: its S3
 * answers from this machine's memory, where one stream reads faster than ranges (README Performance, byte ranges);
 * and on 2-3 cores a large file is profiled on a thread of its own while the handler's thread reads it (1.2x on
 * 1 GB through GetObject on 2 cores, README Performance), where the deployed default (a 1,024 MB Lambda, about
 * half a vCPU) has no core to give it. From 4 cores the processor's own default (pieces on other threads) stands.
 */
export function localTuning (env: NodeJS.ProcessEnv, cores = availableParallelism()): ProcessorTuning {
  return { s3ReadConcurrency: 1, ...(cores === 2 || cores === 3 ? { profileWorkers: 1 } : {}), ...processorTuning(env) }
}

/** What the processor reads from its environment, as a function of the configuration it is deployed with. */
export function processorEnvironment (config: Pick<Config, 'bucketName' | 'tableName' | 'maxRecordBytes' | 'maxColumns' | 'maxDecompressedBytes' | 'logLevel'> & Partial<Pick<Config, 'eventBusName'>>, tuning: ProcessorTuning = {}): Record<string, string> {
  return {
    ...(config.eventBusName === undefined ? {} : { EVENT_BUS_NAME: config.eventBusName }),
    ...Object.fromEntries(Object.entries(tuning).filter(([, value]) => value !== undefined).map(([setting, value]) => [variableName(setting), String(value)])),
    BUCKET_NAME: config.bucketName,
    TABLE_NAME: config.tableName,
    MAX_RECORD_BYTES: String(config.maxRecordBytes),
    MAX_COLUMNS: String(config.maxColumns),
    MAX_DECOMPRESSED_BYTES: String(config.maxDecompressedBytes),
    LOG_LEVEL: config.logLevel,
    NODE_OPTIONS: '--enable-source-maps',
    // glibc hands freed heap back to the system once 128 KiB are free at its top, and the processor's stream of
    // socket buffers then touches fresh pages again. Kept up to 128 MiB (and blocks under 32 MiB from the heap,
    // which setting one threshold no longer adjusts by itself), counting 1 GB through GetObject took 1.9-2.1 s in
    // every run; without, 1.9-4.2 s, the slow runs faulting in 126-194 k pages instead of 31-38 k.
    MALLOC_TRIM_THRESHOLD_: String(128 << 20),
    MALLOC_MMAP_THRESHOLD_: String(32 << 20)
  }
}
