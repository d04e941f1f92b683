// `npm start`'s settings: the API's, plus whether to start the embedded emulators, their port, data folder and workers.
import Type, { type Static } from 'typebox'
import { ApiSettings, deriveApi, type ApiConfig } from '../api/config.ts'
import { Integer, readSettings, Text } from '../shared/config.ts'
import { webhookTargets, WebhookSettings, type WebhookTargets } from '../shared/webhooks.ts'

/** The embedded stack's default credential pair (LocalStack's convention, so its users' exports work). */
export const EMBEDDED_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' }

/** Every variable the product reads: the embedded stack's, the API's and the core's. */
export const EmbeddedSettings = Type.Object({
  ...ApiSettings.properties,
  ...WebhookSettings.properties,
  stack: Type.Optional(Type.Enum(['embedded', 'external'], { description: 'embedded: `npm start` starts the local S3/DynamoDB emulators; external: it uses AWS_ENDPOINT_URL or real AWS.' })),
  embeddedPort: Integer(0, 65535, 4566, 'Port of the embedded S3 + DynamoDB endpoint.'),
  dataDir: Text('.data', 'Where the embedded stack keeps its S3 objects and DynamoDB tables.'),
  lambdaConcurrency: Integer(1, 64, 2, 'How many files the embedded stack processes at once (one worker process each).'),
  embeddedAccessKeyId: Text(EMBEDDED_CREDENTIALS.accessKeyId, 'Access key id the embedded S3 and DynamoDB accept (the only one; requests signed with another are refused).'),
  embeddedSecretAccessKey: Text(EMBEDDED_CREDENTIALS.secretAccessKey, 'Secret access key that goes with EMBEDDED_ACCESS_KEY_ID.')
})

export type EmbeddedConfig = ApiConfig & Omit<Static<typeof EmbeddedSettings>, keyof Static<typeof ApiSettings>> & {
  stack: 'embedded' | 'external'
  /** Where the embedded stack sends webhooks; undefined without WEBHOOK_URLS (on AWS the sender function sends them). */
  webhooks: WebhookTargets | undefined
}

/**
 * `npm start`'s settings. Without STACK, an endpoint, a profile or an AWS runtime means AWS is there (external);
 * otherwise the embedded stack runs on 127.0.0.1:EMBEDDED_PORT with its own credentials.
 */
export function loadEmbeddedConfig (env: NodeJS.ProcessEnv = process.env, overrides: Partial<Static<typeof EmbeddedSettings>> = {}): Readonly<EmbeddedConfig> {
  const settings = { ...readSettings(EmbeddedSettings, env), ...overrides }
  const api = { ...deriveApi(settings), webhooks: webhookTargets(settings) }
  const stack = settings.stack ?? (runsAgainstAws(api.awsEndpoint, env) ? 'external' : 'embedded')
  if (stack === 'external') return Object.freeze({ ...api, stack })
  const awsEndpoint = `http://127.0.0.1:${settings.embeddedPort}`
  return Object.freeze({
    ...api,
    stack,
    awsEndpoint,
    credentials: { accessKeyId: settings.embeddedAccessKeyId, secretAccessKey: settings.embeddedSecretAccessKey },
    s3PublicEndpoint: settings.s3PublicEndpoint ?? awsEndpoint
  })
}

/** An endpoint, a profile, or an AWS runtime (Lambda, ECS) means AWS is there: no emulators. */
function runsAgainstAws (endpoint: string | undefined, env: NodeJS.ProcessEnv): boolean {
  return endpoint !== undefined || env.AWS_PROFILE !== undefined || env.AWS_EXECUTION_ENV !== undefined
}

/** Hosts that mean this machine: a page served by the API on any of them has one of two origins. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '::1', '::'])

/**
 * Browser origins the embedded bucket lets PUT and POST (CORS): CORS_ORIGINS when set; otherwise the API's own
 * origins, so the page at / uploads with no setting (http://127.0.0.1:3000 and http://localhost:3000 by default).
 * Unknown while the API's port is 0 (chosen when it listens): then none.
 */
export function bucketCorsOrigins (config: Pick<EmbeddedConfig, 'corsOrigins' | 'host' | 'port'>): string[] {
  if (config.corsOrigins.length > 0) return config.corsOrigins
  if (config.port === 0) return []
  return LOOPBACK.has(config.host)
    ? [`http://127.0.0.1:${config.port}`, `http://localhost:${config.port}`]
    : [`http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`]
}
