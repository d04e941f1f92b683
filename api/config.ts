// The API's settings: the core's, plus where it listens, how uploads are signed, its key and its CORS origins.
import Type, { type Static } from 'typebox'
import { CoreSettings, deriveCore, Integer, OptionalUrl, readSettings, Text, type Derived } from '../shared/config.ts'

/** An origin is a scheme, a host and maybe a port: no path, not even a trailing slash (it would never match). */
const ORIGIN = 'https?://[^,\\s/]+'

export const ApiSettings = Type.Object({
  ...CoreSettings.properties,
  host: Text('127.0.0.1', 'Address the API listens on.'),
  port: Integer(0, 65535, 3000, 'Port the API listens on.'),
  s3PublicEndpoint: OptionalUrl('S3 endpoint written into presigned URLs, when clients reach S3 by another address than the API does.'),
  uploadUrlExpiresIn: Integer(1, 604800, 900, 'Seconds a presigned upload URL stays valid.'),
  maxUploadBytes: Integer(1, 5 * 1024 ** 3, 5 * 1024 ** 3, 'Largest contentLength POST /uploads accepts (S3 single PUT limit: 5 GiB).'),
  apiKey: Type.Optional(Type.String({ minLength: 16, description: 'When set, /uploads and /files require `Authorization: Bearer <API_KEY>` (at least 16 characters).' })),
  corsOrigins: Type.Optional(Type.String({ pattern: `^(\\*|${ORIGIN}(,${ORIGIN})*)$`, description: 'Browser origins allowed to call the API and PUT to the bucket: `*` or a comma-separated list of origins such as https://app.example.com (no trailing slash).' }))
})

export interface ApiDerived extends Derived {
  /** Endpoint presigned URLs point at. */
  s3PublicEndpoint: string | undefined
  /** Origins allowed by CORS; empty means no CORS headers. */
  corsOrigins: string[]
}

export type ApiConfig = Omit<Static<typeof ApiSettings>, 'corsOrigins' | 's3PublicEndpoint'> & ApiDerived

/** Adds the derived settings to the API's ones. */
export function deriveApi<T extends Static<typeof ApiSettings>> (settings: T): Omit<T, 'corsOrigins' | 's3PublicEndpoint'> & ApiDerived {
  const core = deriveCore(settings)
  return { ...core, s3PublicEndpoint: settings.s3PublicEndpoint ?? core.awsEndpoint, corsOrigins: settings.corsOrigins?.split(',') ?? [] }
}

/** The API's settings from `env`; explicit `overrides` win over the environment, which wins over the defaults. */
export function loadApiConfig (env: NodeJS.ProcessEnv = process.env, overrides: Partial<Static<typeof ApiSettings>> = {}): Readonly<ApiConfig> {
  return Object.freeze(deriveApi({ ...readSettings(ApiSettings, env), ...overrides }))
}
