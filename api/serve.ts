// Runs the API as a server: builds the app, listens, prints where everything is, and stops cleanly on signals.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import type { ApiConfig } from './config.ts'

export interface ServeOptions {
  /** Says where S3 and DynamoDB are, for the banner; by default the endpoint in use, or real AWS. */
  awsLine?: string
  /** Runs once the API has stopped taking requests, before the process exits (e.g. stopping the emulators). */
  onClose?: () => Promise<void>
  /** The page's built assets (see AppOptions.webDir). */
  webDir?: string | undefined
}

/** Listens on HOST:PORT; the first SIGINT or SIGTERM lets in-flight work finish, a second one exits at once. */
export async function serveApi (config: ApiConfig, options: ServeOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp({ config, log: true, webDir: options.webDir })
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    throw portInUse(err, config.port, 'PORT')
  }

  let stopping = false
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.warn(`${signal} again: stopping now`)
      process.exit(1)
    }
    stopping = true
    app.log.info(`${signal}: finishing in-flight work, then stopping (press Ctrl+C again to force)`)
    await app.close()
    await options.onClose?.()
    app.log.info('stopped')
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  // The port listened on: PORT=0 lets the system choose one.
  const { port } = app.server.address() as AddressInfo
  console.log(banner({ ...config, port }, options.awsLine ?? `AWS:           ${config.awsEndpoint ?? `real AWS (${config.awsRegion})`}`))
  return app
}

/** A clear message for a port someone else holds; any other error as it is. */
export function portInUse (err: unknown, port: number, variable: string): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err
  return new Error(`Port ${port} is already in use. Is another \`npm start\` (or LocalStack) running? Stop it, or set ${variable} to a free port.`)
}

function banner (config: ApiConfig, awsLine: string): string {
  const api = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`
  return `
CSV metadata service is up.
  Page:          ${api}/
  API:           ${api}
  Swagger UI:    ${api}/docs
  ${awsLine}
  Bucket/table:  ${config.bucketName} / ${config.tableName}

Try it:
  curl -s -X POST ${api}/uploads -H 'content-type: application/json' -d '{"filename":"example.csv"}'
  curl -X PUT -T sample_data/example.csv "<uploadUrl from the answer>"
  curl ${api}/files/example.csv
`
}
