// Entry point of the API as a server against LocalStack or AWS (the container image): configuration, app, listen.
import { fileURLToPath } from 'node:url'
import { loadApiConfig } from './config.ts'
import { serveApi } from './serve.ts'

/** `npm run build` writes the page beside the bundled server (dist/server/web/). */
const webDir = fileURLToPath(new URL('./web', import.meta.url))

try {
  await serveApi(loadApiConfig(), { webDir })
} catch (err) {
  console.error(`Cannot start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
