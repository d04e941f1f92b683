// `npm run provision`: creates or updates the bucket, table, processor Lambda, its queue and the S3 trigger on LocalStack.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { IAMClient } from '@aws-sdk/client-iam'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { SQSClient } from '@aws-sdk/client-sqs'
import { loadEmbeddedConfig, type EmbeddedConfig } from '../embedded/config.ts'
import { clientSettings, createDynamoDBClient, createS3Client } from '../aws/clients.ts'
import { provisionPipeline, type ProvisionedPipeline } from '../infra/localstack.ts'
import { processorEnvironment } from '../infra/pipeline.ts'

export const DEFAULT_ZIP = 'dist/lambda/processor.zip'

/** Provisions everything `config` points at, with the processor code from `zipPath`. */
export async function provision (config: EmbeddedConfig, zipPath: string, log: (message: string) => void): Promise<ProvisionedPipeline> {
  if (config.stack === 'embedded') {
    throw new Error('Nothing to provision: the embedded stack provisions itself. Set AWS_ENDPOINT_URL to LocalStack\'s address (AWS itself is deployed with `npm run deploy`).')
  }
  const zip = await readFile(zipPath).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new Error(`${zipPath} does not exist: run \`npm run build\` first.`) : err
  })
  const settings = clientSettings(config)
  return await provisionPipeline({
    s3: createS3Client(config),
    dynamodb: createDynamoDBClient(config),
    iam: new IAMClient(settings),
    lambda: new LambdaClient(settings),
    sqs: new SQSClient(settings)
  }, {
    bucketName: config.bucketName,
    tableName: config.tableName,
    zip,
    environment: processorEnvironment(config),
    eventBusName: config.eventBusName,
    corsOrigins: config.corsOrigins,
    log
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
