// Entry point of the API on AWS Lambda (behind a function URL): the same Fastify app, adapted by @fastify/aws-lambda.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import awsLambdaFastify from '@fastify/aws-lambda'
import { buildApp } from './app.ts'
import { loadApiConfig } from './config.ts'

/** The build copies Swagger UI's assets beside the bundle, since bundling leaves @fastify/swagger-ui's folder behind. */
const bundledSwaggerUi = fileURLToPath(new URL('./static', import.meta.url))

const app = await buildApp({
  config: loadApiConfig(),
  log: true,
  swaggerUiDir: existsSync(bundledSwaggerUi) ? bundledSwaggerUi : undefined,
  // A function URL sends a response only once it is whole: each event stream ends after 25 s, well inside the
  // function's timeout (infra/pipeline.ts), and EventSource reconnects with Last-Event-ID.
  maxStreamMs: 25_000,
  // The page, built beside the bundle by `npm run build`.
  webDir: fileURLToPath(new URL('./web', import.meta.url))
})

export const handler = awsLambdaFastify(app, { binaryMimeTypes: ['image/png'] })

// Plugins load during Lambda's init phase, not on the first request.
await app.ready()
