// `npm run provision`: creates or updates the bucket, table, processor Lambda, its queue and the S3 trigger on LocalStack,
// and with WEBHOOK_URLS the webhook sender and its rule.
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { IAMClient } from '@aws-sdk/client-iam'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { SQSClient } from '@aws-sdk/client-sqs'
import { bucketCorsOrigins, loadEmbeddedConfig, type EmbeddedConfig } from '../embedded/config.ts'
import { clientSettings, createDynamoDBClient, createS3Client } from '../aws/clients.ts'
import { provisionPipeline, type ProvisionedPipeline } from '../infra/localstack.ts'
import { provisionWebhooks } from '../infra/localstack-webhooks.ts'
import { localTuning, processorEnvironment } from '../infra/pipeline.ts'

export const DEFAULT_ZIP = 'dist/lambda/processor.zip'

/**
 * Provisions everything `config` points at, with the processor code from `zipPath` and, with WEBHOOK_URLS, the
 * webhook sender's from `webhookSenderZipPath` (beside the processor's by default).
 */
export async function provision (config: EmbeddedConfig, zipPath: string, log: (message: string) => void,
  webhookSenderZipPath = join(dirname(zipPath), 'webhook-sender.zip')): Promise<ProvisionedPipeline> {
  if (config.stack === 'embedded') {
    throw new Error('Nothing to provision: the embedded stack provisions itself. Set AWS_ENDPOINT_URL to LocalStack\'s address (AWS itself is deployed with `npm run deploy`).')
  }
  const zip = await readZip(zipPath)
  const webhooks = config.webhooks === undefined
    ? undefined
    : { zip: await readZip(webhookSenderZipPath), urls: config.webhooks.urls, secret: config.webhookSecret! }
  const settings = clientSettings(config)
  const clients = {
    s3: createS3Client(config),
    dynamodb: createDynamoDBClient(config),
    iam: new IAMClient(settings),
    lambda: new LambdaClient(settings),
    sqs: new SQSClient(settings),
    events: new EventBridgeClient(settings)
  }
  const pipeline = await provisionPipeline(clients, {
    bucketName: config.bucketName,
    tableName: config.tableName,
    zip,
    // LocalStack's S3 and Lambda are on this machine too: its defaults, unless the user's settings say otherwise.
    environment: processorEnvironment(config, localTuning(process.env)),
    eventBusName: config.eventBusName,
    // CORS_ORIGINS, else the API's own origins (http://127.0.0.1:3000 and http://localhost:3000, compose's), for the page at /.
    corsOrigins: bucketCorsOrigins(config),
    log
  })
  if (webhooks !== undefined) {
    const [, , , region, account] = pipeline.functionArn.split(':')
    await provisionWebhooks(clients, webhooks, { region: region!, account: account!, eventBusName: config.eventBusName ?? 'default', log })
  }
  return pipeline
}

async function readZip (path: string): Promise<Buffer> {
  return await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new Error(`${path} does not exist: run \`npm run build\` first.`) : err
  })
}

if (fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { zip: { type: 'string', default: DEFAULT_ZIP } } })
  const config = loadEmbeddedConfig()
  console.log(`provisioning ${config.awsEndpoint ?? `AWS (${config.awsRegion})`}`)
  provision(config, values.zip, message => { console.log(`  ok  ${message}`) }).then(
    () => { console.log('provisioned: PUT a CSV into the bucket and its metadata appears in the table') },
    (err: unknown) => {
      console.error(`provisioning failed: ${err instanceof Error ? err.message : String(err)}`)
      process.exitCode = 1
    }
  )
}
