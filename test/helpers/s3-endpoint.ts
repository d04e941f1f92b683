// Starts the embedded S3 + DynamoDB endpoint alone, recording its S3 events, and speaks raw (signed) HTTP to it.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { Test } from 'tap'
import { SignatureV4 } from '@smithy/signature-v4'
import { startAwsEmulator, type RawS3Event } from '../../embedded/aws-emulator.ts'
import { EMBEDDED_CREDENTIALS } from '../../embedded/config.ts'
import { Sha256, type Credentials } from '../../embedded/s3/sigv4.ts'
import { createS3Client } from '../../aws/clients.ts'
import { freePort } from './stack.ts'
import { dataDirectory } from './data-dir.ts'

export const BUCKET = 'test-bucket'

export interface S3Endpoint {
  endpoint: string
  port: number
  dataDir: string
  s3: ReturnType<typeof createS3Client>
  events: RawS3Event['Records']
  close: () => Promise<void>
}

/** The emulator on a free port, data in `dataDir` (a fresh folder by default); closed when the test ends. */
export async function startS3 (t: Test, options: { dataDir?: string, corsOrigins?: string[], credentials?: Credentials, idleTimeoutMs?: number } = {}): Promise<S3Endpoint> {
  const port = await freePort()
  const dataDir = options.dataDir ?? dataDirectory(t)
  const events: RawS3Event['Records'] = []
  const emulator = await startAwsEmulator({
    host: '127.0.0.1',
    port,
    dataDir,
    buckets: [BUCKET],
    corsOrigins: options.corsOrigins ?? [],
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    onS3Event: event => { events.push(...event.Records) }
  })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await emulator.close()
  }
  t.teardown(close)
  const s3 = createS3Client({ awsRegion: 'us-east-1', awsEndpoint: emulator.endpoint, credentials: options.credentials ?? EMBEDDED_CREDENTIALS })
  return { endpoint: emulator.endpoint, port, dataDir, s3, events, close }
}

export interface RawResponse { status: number, headers: IncomingHttpHeaders, body: string }

/** One HTTP request with the path exactly as given (no normalization of `..`), answered in full. */
export async function rawRequest (port: number, options: { method: string, path: string, headers?: Record<string, string>, body?: string | Buffer }): Promise<RawResponse> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers ?? {} }, res => {
      const chunks: Buffer[] = []
      res.on('data', chunk => chunks.push(chunk as Buffer))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Signs a request as the SDK would (header auth, payload hash as given), for requests the SDK will not make. */
export async function signRequest (port: number, options: { method: string, path: string, headers?: Record<string, string>, query?: Record<string, string>, service?: string, credentials?: Credentials, signingDate?: Date }) {
  const signer = new SignatureV4({ credentials: options.credentials ?? EMBEDDED_CREDENTIALS, region: 'us-east-1', service: options.service ?? 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false })
  const signed = await signer.sign({
    method: options.method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: options.path,
    query: options.query ?? {},
    headers: { host: `127.0.0.1:${port}`, ...options.headers }
  }, options.signingDate === undefined ? {} : { signingDate: options.signingDate })
  const query = new URLSearchParams(options.query ?? {}).toString()
  return { path: query === '' ? options.path : `${options.path}?${query}`, headers: signed.headers, signer }
}

/** The S3 error code of an XML error answer. */
export function errorCode (response: RawResponse): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(response.body)?.[1]
}
