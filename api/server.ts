// Entry point of `npm start`: loads the configuration, starts the embedded AWS stack unless AWS is configured, serves the API.
import { loadConfig, type Config } from '../shared/config.ts'
import { startEmbeddedStack, type EmbeddedStack } from '../embedded/stack.ts'
import { buildApp } from './app.ts'

async function main (): Promise<void> {
  const config = loadConfig()
  const stack = config.stack === 'embedded' ? await startEmbedded(config) : undefined
  const app = await buildApp({ config, logger: { level: config.logLevel } })
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    await stack?.close()
    throw portError(err, config.port, 'PORT')
  }

  let stopping = false
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1)
    stopping = true
    app.log.info(`${signal}: finishing in-flight work, then stopping (press Ctrl+C again to force)`)
    await app.close()
    await stack?.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)

  console.log(banner(config, stack))
  stack?.caughtUp.then(
    ({ drift, failures }) => {
      if (drift.length > 0) app.log.info({ drift: drift.map(({ key, reason }) => ({ key, reason })), failures }, `caught up on ${drift.length} file(s) left unprocessed by the last run`)
    },
    (err: unknown) => app.log.error({ err }, 'catching up on files left unprocessed failed; run `npm run reconcile`')
  )
}

async function startEmbedded (config: Config): Promise<EmbeddedStack> {
  try {
    return await startEmbeddedStack(config)
  } catch (err) {
    throw portError(err, config.embeddedPort, 'EMBEDDED_PORT')
  }
}

function portError (err: unknown, port: number, variable: string): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err
  return new Error(`Port ${port} is already in use. Is another \`npm start\` (or LocalStack) running? Stop it, or set ${variable} to a free port.`)
}

function banner (config: Config, stack: EmbeddedStack | undefined): string {
  const api = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`
  const aws = stack === undefined
    ? `AWS:           ${config.awsEndpoint ?? `real AWS (${config.region})`}`
    : `S3+DynamoDB:   ${stack.endpoint}  (embedded; data in ${config.dataDir}/)`
  return `
CSV metadata service is up.
  API:           ${api}
  Swagger UI:    ${api}/docs
  ${aws}
  Bucket/table:  ${config.bucketName} / ${config.tableName}

Try it:
  curl -s -X POST ${api}/uploads -H 'content-type: application/json' -d '{"filename":"example.csv"}'
  curl -X PUT -T sample_data/example.csv "<uploadUrl from the answer>"
  curl ${api}/files/example.csv
`
}

main().catch((err: unknown) => {
  console.error(`Cannot start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
