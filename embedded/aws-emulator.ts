// The embedded S3 (embedded/s3/), DynamoDB (dynalite, behind a signature check) and EventBridge (PutEvents) on one
// HTTP port, like LocalStack's edge port 4566: requests go by their X-Amz-Target header to DynamoDB or EventBridge,
// the rest to S3.
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import dynalite from 'dynalite'
import { EMBEDDED_CREDENTIALS } from './config.ts'
import { withDynamoDbAuth } from './dynamodb-auth.ts'
import { eventBridgeHandler, EVENTS_TARGET, type BusEvent } from './eventbridge.ts'
import type { RawS3Event } from './s3/events.ts'
import { startS3Server } from './s3/s3-server.ts'
import type { Credentials } from './s3/sigv4.ts'

export type { RawS3Event, BusEvent }

export interface AwsEmulatorOptions {
  host: string
  port: number
  dataDir: string
  /** The buckets this S3 serves; it creates no other. */
  buckets: string[]
  /** Region in events and bucket locations; us-east-1 by default. */
  region?: string
  /** The one credential pair requests must be signed with; EMBEDDED_CREDENTIALS by default. */
  credentials?: Credentials
  /** Browser origins allowed to PUT objects (CORS); none when empty. */
  corsOrigins?: string[]
  onS3Event: (event: RawS3Event) => void
  /** EventBridge buses PutEvents accepts besides `default`. */
  eventBuses?: string[]
  /** Receives the events each PutEvents call put on a bus; by default they are dropped (a bus with no rule). */
  onBusEvents?: (events: BusEvent[]) => void
  /** Closes a connection that sends and takes nothing for this long; IDLE_TIMEOUT_MS by default. */
  idleTimeoutMs?: number
}

export interface AwsEmulator {
  endpoint: string
  port: number
  close: () => Promise<void>
}

const DYNAMODB_TARGET = /^DynamoDB_\d+\./
/**
 * A request may take as long as its bytes keep coming (a 5 GB PUT from a slow link, a GET read at the reader's
 * pace), but a connection that moves no byte for a minute is closed, as S3 closes idle ones: an upload stalled
 * mid-body would otherwise hold its socket and temporary file forever, and enough of them every file descriptor.
 */
const IDLE_TIMEOUT_MS = 60_000

function logError (message: string, err: unknown): void {
  console.error(`embedded AWS: ${message}:`, err)
}

/** Starts both emulators on `host:port`. */
export async function startAwsEmulator (options: AwsEmulatorOptions): Promise<AwsEmulator> {
  // Take the port first: a busy port fails here, before any data file is opened.
  let dispatch = (_req: IncomingMessage, res: ServerResponse) => { res.writeHead(503).end() }
  const server = createServer({ requestTimeout: 0 }, (req, res) => dispatch(req, res))
  server.timeout = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS
  server.listen(options.port, options.host)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const credentials = options.credentials ?? EMBEDDED_CREDENTIALS

  try {
    const s3 = await startS3Server({
      dataDir: options.dataDir,
      buckets: options.buckets,
      region: options.region ?? 'us-east-1',
      credentials,
      corsOrigins: options.corsOrigins ?? [],
      onEvent: options.onS3Event,
      log: logError
    })

    // dynalite's own server owns the LevelDB store and only closes it gracefully when it was listening,
    // so it listens on a private loopback port; requests reach its handler directly, without a network hop.
    const dynamo = dynalite({ path: join(options.dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
    dynamo.listen(0, '127.0.0.1')
    await once(dynamo, 'listening')
    const [dynaliteHandler] = dynamo.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>
    const dynamoHandler = withDynamoDbAuth(dynaliteHandler!, credentials, logError)
    const eventsHandler = eventBridgeHandler({
      credentials,
      region: options.region ?? 'us-east-1',
      buses: ['default', ...options.eventBuses ?? []],
      onEvents: options.onBusEvents ?? (() => {}),
      log: logError
    })

    dispatch = (req, res) => {
      const target = req.headers['x-amz-target']
      if (typeof target === 'string' && DYNAMODB_TARGET.test(target)) dynamoHandler(req, res)
      else if (typeof target === 'string' && EVENTS_TARGET.test(target)) eventsHandler(req, res)
      else s3.handle(req, res)
    }

    return {
      endpoint: `http://${options.host}:${port}`,
      port,
      close: async () => {
        s3.close()
        server.closeAllConnections()
        await new Promise(resolve => server.close(resolve))
        await new Promise<void>((resolve, reject) => dynamo.close(err => err ? reject(err) : resolve()))
      }
    }
  } catch (err) {
    server.close()
    throw err
  }
}
