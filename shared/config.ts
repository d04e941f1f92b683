// Reads settings from the environment once, validates them against a schema, and returns them frozen. Each part
// declares only the variables it reads: the core's here, the API's in api/config.ts, the embedded stack's in
// embedded/config.ts. A setting `bucketName` is read from the variable BUCKET_NAME.
import Type, { type Static, type TObject } from 'typebox'
import Value from 'typebox/value'
import { DEFAULT_LIMITS } from './limits.ts'

export const Integer = (min: number, max: number, fallback: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: fallback, description })
export const Text = (fallback: string, description: string) => Type.String({ minLength: 1, default: fallback, description })
export const OptionalUrl = (description: string) => Type.Optional(Type.String({ pattern: '^https?://', description }))

/** What every part reads: where AWS is, the bucket and table, the extraction limits, the log level. */
export const CoreSettings = Type.Object({
  awsEndpointUrl: OptionalUrl('Endpoint of LocalStack or another AWS emulator; unset for real AWS.'),
  localstackHostname: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9.-]+$', description: 'Set by LocalStack inside its Lambda containers; with EDGE_PORT, the endpoint when AWS_ENDPOINT_URL is unset.' })),
  edgePort: Integer(1, 65535, 4566, 'LocalStack port that goes with LOCALSTACK_HOSTNAME.'),
  awsRegion: Text('us-east-1', 'AWS region.'),
  bucketName: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', default: 'test-bucket', description: 'S3 bucket that receives uploads.' }),
  tableName: Type.String({ pattern: '^[a-zA-Z0-9_.-]{3,255}$', default: 'MetadataTable', description: 'DynamoDB table holding the metadata.' }),
  maxRecordBytes: Integer(1024, 1024 ** 3, DEFAULT_LIMITS.maxRecordBytes, 'Largest CSV row, in characters, before a file fails with record-too-large.'),
  maxColumns: Integer(1, 1_000_000, DEFAULT_LIMITS.maxColumns, 'Most columns a header may have before a file fails with too-many-columns.'),
  maxDecompressedBytes: Integer(1024, 1024 ** 5, DEFAULT_LIMITS.maxDecompressedBytes, 'Most bytes a gzip upload may inflate to before it fails with decompressed-too-large.'),
  profileWorkers: Type.Optional(Type.Integer({ minimum: 0, maximum: 256, description: 'Threads that profile a file\'s pieces while the handler reads and cuts it; unset, one per core but the handler\'s from 4 cores on, none below; 0 profiles on the handler\'s thread.' })),
  s3RangeBytes: Integer(64 * 1024, 256 * 1024 ** 2, 8 * 1024 ** 2, 'Bytes per GetObject when the processor reads an object in byte ranges (AWS recommends 8–16 MiB); about S3_READ_CONCURRENCY of them are held in memory.'),
  s3ReadConcurrency: Integer(1, 32, 4, 'GetObject requests the processor keeps in flight for one object, each for S3_RANGE_BYTES bytes, delivered in order; 1 reads the object as one stream.'),
  eventBusName: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._/-]{1,256}$', description: 'EventBridge bus the processor publishes each verdict on (`File processed` / `File failed`); the account\'s default bus when unset.' })),
  logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'Log level of the API and the handler.' })
})

export interface Credentials { accessKeyId: string, secretAccessKey: string }

/** Settings derived from the variables rather than read from one. */
export interface Derived {
  /** Endpoint for S3 and DynamoDB: AWS_ENDPOINT_URL, else LocalStack's Lambda variables; undefined means real AWS. */
  awsEndpoint: string | undefined
  /** Fixed credentials (the embedded stack's); undefined means the SDK's default chain. */
  credentials: Credentials | undefined
}

export type Config = Static<typeof CoreSettings> & Derived

export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly code = 'invalid-config'
}

/** Settings whose values never appear in messages. */
const SECRETS = new Set(['apiKey', 'webhookSecret'])

/** The environment variable a setting is read from: `s3PublicEndpoint` → `S3_PUBLIC_ENDPOINT`. */
export function variableName (setting: string): string {
  return setting.replace(/[A-Z]/g, letter => `_${letter}`).toUpperCase()
}

/**
 * Reads every setting of `schema` from `env`, applies the defaults and converts the types. Throws a ConfigError
 * naming every bad variable, with what it is for (secrets are never shown).
 */
export function readSettings<T extends TObject> (schema: T, env: NodeJS.ProcessEnv): Static<T> {
  const given = Object.fromEntries(Object.keys(schema.properties).flatMap(setting => {
    const value = env[variableName(setting)]
    return value === undefined || value === '' ? [] : [[setting, value]]
  }))
  const parsed = Value.Convert(schema, Value.Default(schema, { ...given }))
  const errors = Value.Errors(schema, parsed)
  if (errors.length > 0) {
    const lines = [...new Map(errors.map(e => {
      const setting = e.instancePath.slice(1)
      const shown = SECRETS.has(setting) ? '(hidden)' : JSON.stringify(given[setting])
      const description = (schema.properties as Record<string, { description?: string }>)[setting]?.description ?? 'unknown variable'
      return [setting, `${variableName(setting)}=${shown}: ${e.message} (${description})`]
    })).values()]
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`)
  }
  return parsed as Static<T>
}

/** The core settings from `env`; explicit `overrides` win over the environment, which wins over the defaults. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env, overrides: Partial<Static<typeof CoreSettings>> = {}): Readonly<Config> {
  return Object.freeze(deriveCore({ ...readSettings(CoreSettings, env), ...overrides }))
}

/** Adds the derived settings to the core ones. */
export function deriveCore<T extends Static<typeof CoreSettings>> (settings: T): T & Derived {
  return { ...settings, awsEndpoint: externalEndpoint(settings), credentials: undefined }
}

/** AWS_ENDPOINT_URL, else LocalStack's older Lambda variables (inside its containers `localhost` is not LocalStack). */
function externalEndpoint (settings: Static<typeof CoreSettings>): string | undefined {
  if (settings.awsEndpointUrl !== undefined) return settings.awsEndpointUrl
  return settings.localstackHostname === undefined ? undefined : `http://${settings.localstackHostname}:${settings.edgePort}`
}
