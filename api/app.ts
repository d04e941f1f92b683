// Builds the Fastify application: OpenAPI docs, the problem-details error handler, and the routes.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { FileProfile } from '../shared/column-profile.ts'
import { FileMetadata } from '../shared/file-record.ts'
import { LOG_FORMAT } from '../shared/logger.ts'
import type { ApiConfig } from './config.ts'
import { clientErrorHandler, frameworkProblem, installProblemHandlers, Problem } from './problem.ts'
import { createServices, type ApiServices, type RouteOptions } from './services.ts'
import { validatorCompiler } from './validation.ts'
import events from './routes/events.ts'
import files from './routes/files.ts'
import health from './routes/health.ts'
import multipart from './routes/multipart.ts'
import page from './routes/page.ts'
import profile from './routes/profile.ts'
import uploads from './routes/uploads.ts'

export interface AppOptions {
  config: ApiConfig
  /** Defaults to the AWS-backed services built from `config`. */
  services?: ApiServices
  /** Logs in the product's one shape at `config.logLevel`; tests leave it off. */
  log?: boolean
  /** Directory of Swagger UI's static files; defaults to @fastify/swagger-ui's own (a bundle ships a copy). */
  swaggerUiDir?: string | undefined
  /** Ends each event stream after this long (EventSource reconnects): for hosts that buffer whole responses. */
  maxStreamMs?: number | undefined
  /** The page's built assets (index.html and app/), served at / by routes/page.ts; see infra/web-bundle.ts. */
  webDir?: string | undefined
}

/**
 * One line per request, at debug, instead of Fastify's two at info: in the `npm start` terminal each processed
 * file stands out. The request id is logged as `requestId`, the field the handler's lines use too.
 */
class QuietRequests extends LogController {
  constructor () {
    super({ requestIdLogLabel: 'requestId' })
  }

  override incomingRequest (): void {}

  override requestCompleted (error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime), ...(error === null ? {} : { err: error }) },
      `${request.method} ${request.url} ${reply.statusCode}`)
  }
}

/** Largest JSON request body; the API's requests are a few hundred bytes. */
const BODY_LIMIT = 16 * 1024
/** Longest path parameter: an S3 key is at most 1,024 bytes, 3 KiB once every byte is percent-encoded. */
const MAX_PARAM_LENGTH = 3 * 1024
/** A whole request (headers and a body of at most 16 KiB) must arrive within this; a trickled one gets 408. */
const REQUEST_TIMEOUT_MS = 10_000
/**
 * A connection on which nothing moves for this long is closed, e.g. a response nobody reads. Longer than Fastify's
 * keep-alive timeout (72 s), so idle keep-alive connections still outlive a load balancer's (60 s on AWS ALB).
 */
const CONNECTION_TIMEOUT_MS = 75_000

export async function buildApp ({ config, services = createServices(config), log = false, swaggerUiDir, webDir, maxStreamMs }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: log ? { ...LOG_FORMAT, level: config.logLevel } : false,
    logController: new QuietRequests(),
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    // Node checks the timeouts above every 30 s by default, which would let a slow request run for 40.
    http: { headersTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    frameworkErrors: frameworkProblem,
    clientErrorHandler
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)

  app.addSchema(FileMetadata)
  app.addSchema(FileProfile)
  app.addSchema(Problem)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CSV metadata service',
        version: '0.1.0',
        description: 'Upload CSV files through presigned S3 URLs; an S3-triggered Lambda extracts their metadata into DynamoDB; read it back here.'
      },
      // Only a server with API_KEY asks for a key: without one, the document shows no lock (see withoutSecurity).
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'The API_KEY this server was started with.' } }
      },
      tags: [
        { name: 'uploads', description: 'Getting files in (from a browser: the page at /)' },
        { name: 'multipart', description: 'Uploads in parts: any size, resumable (the shape of Uppy Companion\'s S3 routes)' },
        { name: 'files', description: 'Reading, waiting for, streaming, downloading and deleting files' },
        { name: 'health', description: 'Liveness and readiness' }
      ]
    },
    // Name components after their $id (FileMetadata, Problem) instead of def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    ...(config.apiKey === undefined ? { transformObject: (document: object) => withoutSecurity((document as { openapiObject: OpenApiDocument }).openapiObject) } : {})
  })
  await app.register(swaggerUi, { routePrefix: '/docs', ...(swaggerUiDir === undefined ? {} : { baseDir: swaggerUiDir }) })
  if (config.corsOrigins.length > 0) {
    await app.register(cors, { origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins, methods: ['GET', 'HEAD', 'POST', 'DELETE'] })
  }

  installProblemHandlers(app)
  const routeOptions: RouteOptions = { config, services }
  await app.register(uploads, routeOptions)
  await app.register(files, routeOptions)
  await app.register(multipart, routeOptions)
  await app.register(events, { ...routeOptions, maxStreamMs })
  await app.register(profile, routeOptions)
  await app.register(health, routeOptions)
  await app.register(page, { ...routeOptions, webDir })
  return app
}

interface OpenApiDocument {
  components?: Record<string, unknown>
  paths?: Record<string, Record<string, unknown> | undefined>
}

/** The document of a server without API_KEY: no security scheme, and no operation asking for one. */
function withoutSecurity (document: OpenApiDocument): OpenApiDocument {
  const { securitySchemes: _unused, ...components } = document.components ?? {}
  const paths = Object.fromEntries(Object.entries(document.paths ?? {}).map(([path, item]) => [path,
    Object.fromEntries(Object.entries(item ?? {}).map(([method, operation]) => {
      if (operation === null || typeof operation !== 'object' || !('responses' in operation)) return [method, operation]
      const { security: _security, ...rest } = operation as Record<string, unknown>
      return [method, rest]
    }))]))
  return { ...document, components, paths }
}
