// The CDK app behind `npm run deploy` / `npm run destroy`: builds the bundles, then defines the stack.
import { App } from 'aws-cdk-lib'
import { loadConfig } from '../shared/config.ts'
import { buildAll } from '../scripts/build.ts'
import { CsvMetadataStack } from './stack.ts'

// API_KEY and CORS_ORIGINS mean on AWS what they mean everywhere else; loadConfig rejects bad values before deploying.
const { apiKey, corsOrigins } = loadConfig({ API_KEY: process.env.API_KEY, CORS_ORIGINS: process.env.CORS_ORIGINS })
const { processorDir, apiFunctionDir } = await buildAll()

const app = new App()
new CsvMetadataStack(app, 'CsvMetadataService', {
  description: 'CSV metadata service: presigned uploads, S3-triggered extraction into DynamoDB, HTTP API',
  processorDir,
  apiFunctionDir,
  ...(corsOrigins.length === 0 ? {} : { corsOrigins }),
  apiKey
})
app.synth()
