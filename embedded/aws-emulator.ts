// S3 (s3rver) and DynamoDB (dynalite) behind one HTTP port, like LocalStack's edge port 4566.
import { once } from 'node:events'
import { mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import S3rver from 's3rver'
import AWSAccount from 's3rver/lib/models/account.js'
import dynalite from 'dynalite'

/** An S3 event notification as s3rver emits it (one record). */
export interface RawS3Event {
  Records: Array<{
    eventName: string
    eventTime: string
    s3: { bucket: { name: string, arn: string }, object: { key: string, size?: number, eTag?: string, sequencer: string } }
    [field: string]: unknown
  }>
}

export interface AwsEmulatorOptions {
  host: string
  port: number
  dataDir: string
  /** Buckets created when missing. */
  buckets: string[]
  /** Browser origins allowed to PUT and GET objects (CORS); none when empty. */
  corsOrigins?: string[]
  onS3Event: (event: RawS3Event) => void
}

export interface AwsEmulator {
  endpoint: string
  port: number
  close: () => Promise<void>
}

const DYNAMODB_TARGET = /^DynamoDB_\d+\./

// s3rver knows one access key, S3RVER. Like LocalStack, accept any key: signatures are not checked either way.
const knownAccount = AWSAccount.registry.get.bind(AWSAccount.registry)
AWSAccount.registry.get = (accessKeyId: string) => knownAccount(accessKeyId) ?? AWSAccount.DUMMY_ACCOUNT

/** Starts both emulators on `host:port`; requests with a DynamoDB `X-Amz-Target` go to DynamoDB, the rest to S3. */
export async function startAwsEmulator (options: AwsEmulatorOptions): Promise<AwsEmulator> {
  // Take the port first: a busy port fails here, before any data file is opened.
  let dispatch = (_req: IncomingMessage, res: ServerResponse) => { res.writeHead(503).end() }
  const server = createServer((req, res) => dispatch(req, res))
  server.listen(options.port, options.host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  const s3Directory = join(options.dataDir, 's3')
  mkdirSync(s3Directory, { recursive: true })
  const s3 = new S3rver({
    directory: s3Directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map(name => ({ name, configs: corsConfiguration(options.corsOrigins ?? []) }))
  })
  await s3.configureBuckets()
  s3.on('event', options.onS3Event)
  const s3Handler = s3.callback()

  // dynalite's own server owns the LevelDB store and only closes it gracefully when it was listening,
  // so it listens on a private loopback port; requests reach its handler directly, without a network hop.
  const dynamo = dynalite({ path: join(options.dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  dynamo.listen(0, '127.0.0.1')
  await once(dynamo, 'listening')
  const [dynamoHandler] = dynamo.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>

  dispatch = (req, res) => {
    const target = req.headers['x-amz-target']
    if (typeof target === 'string' && DYNAMODB_TARGET.test(target)) dynamoHandler!(req, res)
    else s3Handler(req, res)
  }

  return {
    endpoint: `http://${options.host}:${port}`,
    port,
    close: async () => {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
      await new Promise<void>((resolve, reject) => dynamo.close(err => err ? reject(err) : resolve()))
      s3.logger.exceptions.unhandle()
      s3.logger.close()
    }
  }
}

/** The bucket CORS rule a browser needs to PUT to a presigned URL and read the ETag back. */
function corsConfiguration (origins: string[]): string[] {
  if (origins.length === 0) return []
  const allowed = origins.map(origin => `<AllowedOrigin>${origin}</AllowedOrigin>`).join('')
  return [`<CORSConfiguration><CORSRule>${allowed}<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`]
}
