// Entry point of the API as a server against LocalStack or AWS (the container image): configuration, app, listen.
import { loadApiConfig } from './config.ts'
import { serveApi } from './serve.ts'

try {
  await serveApi(loadApiConfig())
} catch (err) {
  console.error(`Cannot start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
