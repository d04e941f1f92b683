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
  swaggerUiDir: existsSync(bundledSwaggerUi) ? bundledSwaggerUi : undefined
})

export const handler = awsLambdaFastify(app, { binaryMimeTypes: ['image/png'] })

// Plugins load during Lambda's init phase, not on the first request.
await app.ready()
