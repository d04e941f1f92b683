// The CDK app behind `npm run deploy` / `npm run destroy`: builds the bundles, then defines the stack.
import { App } from 'aws-cdk-lib'
import { loadApiConfig } from '../api/config.ts'
import { readSettings } from '../shared/config.ts'
import { webhookTargets, WebhookSettings } from '../shared/webhooks.ts'
import { buildAll } from '../scripts/build.ts'
import { processorTuning } from './pipeline.ts'
import { CsvMetadataStack } from './stack.ts'

// API_KEY, CORS_ORIGINS, EVENT_BUS_NAME, WEBHOOK_URLS, the limits and the processor's tuning (PROFILE_WORKERS,
// S3_RANGE_BYTES, S3_READ_CONCURRENCY) mean on AWS what they mean everywhere else; bad values stop the deploy here.
const { apiKey, corsOrigins, maxRecordBytes, maxColumns, maxDecompressedBytes, eventBusName } = loadApiConfig({
  EVENT_BUS_NAME: process.env.EVENT_BUS_NAME,
  API_KEY: process.env.API_KEY,
  CORS_ORIGINS: process.env.CORS_ORIGINS,
  MAX_RECORD_BYTES: process.env.MAX_RECORD_BYTES,
  MAX_COLUMNS: process.env.MAX_COLUMNS,
  MAX_DECOMPRESSED_BYTES: process.env.MAX_DECOMPRESSED_BYTES
})
const tuning = processorTuning(process.env)
const webhookSettings = readSettings(WebhookSettings, { WEBHOOK_URLS: process.env.WEBHOOK_URLS, WEBHOOK_SECRET: process.env.WEBHOOK_SECRET })
const webhooks = webhookTargets(webhookSettings)
const { processorDir, apiFunctionDir, webhookSenderDir } = await buildAll()

const app = new App()
new CsvMetadataStack(app, 'CsvMetadataService', {
  description: 'CSV metadata service: presigned uploads, S3-triggered extraction into DynamoDB, HTTP API',
  processorDir,
  apiFunctionDir,
  ...(corsOrigins.length === 0 ? {} : { corsOrigins }),
  apiKey,
  maxRecordBytes,
  maxColumns,
  maxDecompressedBytes,
  processorTuning: tuning,
  eventBusName,
  webhooks: webhooks === undefined ? undefined : { senderDir: webhookSenderDir, urls: webhooks.urls, secret: webhookSettings.webhookSecret! }
})
app.synth()
