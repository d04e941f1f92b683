// The CDK app behind `npm run deploy` / `npm run destroy`: builds the bundles, then defines the stack.
import { App } from 'aws-cdk-lib'
import { loadApiConfig } from '../api/config.ts'
import { buildAll } from '../scripts/build.ts'
import { CsvMetadataStack } from './stack.ts'

// API_KEY, CORS_ORIGINS and the limits mean on AWS what they mean everywhere else; bad values stop the deploy here.
const { apiKey, corsOrigins, maxRecordBytes, maxColumns, maxDecompressedBytes } = loadApiConfig({
  API_KEY: process.env.API_KEY,
  CORS_ORIGINS: process.env.CORS_ORIGINS,
  MAX_RECORD_BYTES: process.env.MAX_RECORD_BYTES,
  MAX_COLUMNS: process.env.MAX_COLUMNS,
  MAX_DECOMPRESSED_BYTES: process.env.MAX_DECOMPRESSED_BYTES
})
const { processorDir, apiFunctionDir } = await buildAll()

const app = new App()
new CsvMetadataStack(app, 'CsvMetadataService', {
  description: 'CSV metadata service: presigned uploads, S3-triggered extraction into DynamoDB, HTTP API',
  processorDir,
  apiFunctionDir,
  ...(corsOrigins.length === 0 ? {} : { corsOrigins }),
  apiKey,
  maxRecordBytes,
  maxColumns,
  maxDecompressedBytes
})
app.synth()
