// Reads the environment once, validates it, and returns the frozen settings every entry point uses.
import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import { DEFAULT_LIMITS } from './csv-metadata.ts'

const Integer = (min: number, max: number, fallback: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: fallback, description })
const Text = (fallback: string, description: string) => Type.String({ minLength: 1, default: fallback, description })
const OptionalUrl = (description: string) => Type.Optional(Type.String({ pattern: '^https?://', description }))

/** Every variable the product reads, with its default; the README's configuration table mirrors it. */
export const Environment = Type.Object({
  STACK: Type.Optional(Type.Enum(['embedded', 'external'], { description: 'embedded: start the local S3/DynamoDB emulators; external: use AWS_ENDPOINT_URL or real AWS.' })),
  AWS_ENDPOINT_URL: OptionalUrl('Endpoint of LocalStack or another AWS emulator; unset for real AWS.'),
  LOCALSTACK_HOSTNAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+$', description: 'Set by LocalStack inside its Lambda containers; with EDGE_PORT, the endpoint when AWS_ENDPOINT_URL is unset.' })),
  EDGE_PORT: Integer(1, 65535, 4566, 'LocalStack port that goes with LOCALSTACK_HOSTNAME.'),
  S3_PUBLIC_ENDPOINT: OptionalUrl('S3 endpoint written into presigned URLs, when clients reach S3 by another address than the API does.'),
  AWS_REGION: Text('us-east-1', 'AWS region.'),
  BUCKET_NAME: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', default: 'test-bucket', description: 'S3 bucket that receives uploads.' }),
  TABLE_NAME: Type.String({ pattern: '^[a-zA-Z0-9_.-]{3,255}$', default: 'MetadataTable', description: 'DynamoDB table holding the metadata.' }),
  HOST: Text('127.0.0.1', 'Address the API listens on.'),
  PORT: Integer(0, 65535, 3000, 'Port the API listens on.'),
  EMBEDDED_PORT: Integer(0, 65535, 4566, 'Port of the embedded S3 + DynamoDB endpoint.'),
  DATA_DIR: Text('.data', 'Where the embedded stack keeps its S3 objects and DynamoDB tables.'),
  LAMBDA_CONCURRENCY: Integer(1, 64, 2, 'How many files the embedded stack processes at once (one child process each).'),
  UPLOAD_URL_EXPIRES_IN: Integer(1, 604800, 900, 'Seconds a presigned upload URL stays valid.'),
  MAX_UPLOAD_BYTES: Integer(1, 5 * 1024 ** 3, 5 * 1024 ** 3, 'Largest contentLength POST /uploads accepts (S3 single PUT limit: 5 GiB).'),
  MAX_RECORD_BYTES: Integer(1024, 1024 ** 3, DEFAULT_LIMITS.maxRecordBytes, 'Largest CSV row, in characters, before a file fails with record-too-large.'),
  MAX_COLUMNS: Integer(1, 1_000_000, DEFAULT_LIMITS.maxColumns, 'Most columns a header may have before a file fails with too-many-columns.'),
  API_KEY: Type.Optional(Type.String({ minLength: 16, description: 'When set, /uploads and /files require `Authorization: Bearer <API_KEY>` (at least 16 characters).' })),
  CORS_ORIGINS: Type.Optional(Type.String({ pattern: '^(\\*|https?://[^,\\s]+(,https?://[^,\\s]+)*)$', description: 'Browser origins allowed to call the API and PUT to the embedded bucket: `*` or a comma-separated list of origins.' })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'Log level of the API.' })
})

type Environment = Static<typeof Environment>

/** Variables whose values never appear in messages. */
const SECRETS = new Set(['API_KEY'])

export interface Config {
  stack: 'embedded' | 'external'
  region: string
  bucketName: string
  tableName: string
  /** Endpoint for S3 and DynamoDB; undefined means real AWS. */
  awsEndpoint: string | undefined
  /** Endpoint presigned URLs point at. */
  s3PublicEndpoint: string | undefined
  host: string
  port: number
  embeddedPort: number
  dataDir: string
  lambdaConcurrency: number
  uploadUrlExpiresIn: number
  maxUploadBytes: number
  maxRecordBytes: number
  maxColumns: number
  logLevel: string
  apiKey: string | undefined
  /** Origins allowed by CORS; empty means no CORS headers. */
  corsOrigins: string[]
}

export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly code = 'invalid-config'
}

/**
 * Builds the configuration: explicit `overrides` win over `env`, which wins over the defaults.
 * Throws a ConfigError naming every bad variable.
 */
export function loadConfig (env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const known = Object.fromEntries(
    Object.keys(Environment.properties).flatMap(name => env[name] === undefined || env[name] === '' ? [] : [[name, env[name]]])
  )
  const parsed = Value.Convert(Environment, Value.Default(Environment, { ...known }))
  const errors = Value.Errors(Environment, parsed)
  if (errors.length > 0) {
    const lines = [...new Map(errors.map(e => {
      const name = e.instancePath.slice(1)
      const shown = SECRETS.has(name) ? '(hidden)' : JSON.stringify(known[name])
      return [name, `${name}=${shown}: ${e.message} (${describe(name)})`]
    })).values()]
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`)
  }
  const e = parsed as Environment
  const stack = overrides.stack ?? e.STACK ?? (runsAgainstAws(e, env) ? 'external' : 'embedded')
  const embeddedPort = overrides.embeddedPort ?? e.EMBEDDED_PORT
  const awsEndpoint = 'awsEndpoint' in overrides
    ? overrides.awsEndpoint
    : stack === 'embedded' ? `http://127.0.0.1:${embeddedPort}` : externalEndpoint(e)
  return Object.freeze({
    stack,
    region: e.AWS_REGION,
    bucketName: e.BUCKET_NAME,
    tableName: e.TABLE_NAME,
    awsEndpoint,
    s3PublicEndpoint: overrides.s3PublicEndpoint ?? e.S3_PUBLIC_ENDPOINT ?? awsEndpoint,
    host: e.HOST,
    port: e.PORT,
    embeddedPort,
    dataDir: e.DATA_DIR,
    lambdaConcurrency: e.LAMBDA_CONCURRENCY,
    uploadUrlExpiresIn: e.UPLOAD_URL_EXPIRES_IN,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    maxRecordBytes: e.MAX_RECORD_BYTES,
    maxColumns: e.MAX_COLUMNS,
    logLevel: e.LOG_LEVEL,
    apiKey: e.API_KEY,
    corsOrigins: e.CORS_ORIGINS?.split(',') ?? [],
    ...overrides
  })
}

function describe (name: string): string {
  const schema = (Environment.properties as Record<string, { description?: string }>)[name]
  return schema?.description ?? 'unknown variable'
}

/** AWS_ENDPOINT_URL, else LocalStack's older Lambda variables (inside its containers `localhost` is not LocalStack). */
function externalEndpoint (e: Environment): string | undefined {
  if (e.AWS_ENDPOINT_URL !== undefined) return e.AWS_ENDPOINT_URL
  return e.LOCALSTACK_HOSTNAME === undefined ? undefined : `http://${e.LOCALSTACK_HOSTNAME}:${e.EDGE_PORT}`
}

/** An endpoint, a profile, or an AWS runtime (Lambda, ECS) means AWS is there: no emulators. */
function runsAgainstAws (e: Environment, env: NodeJS.ProcessEnv): boolean {
  return externalEndpoint(e) !== undefined || env.AWS_PROFILE !== undefined || env.AWS_EXECUTION_ENV !== undefined
}
