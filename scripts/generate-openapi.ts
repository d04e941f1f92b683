// Writes openapi/openapi.json from the application's route schemas (`npm run openapi`).
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../api/app.ts'
import { loadApiConfig } from '../api/config.ts'

export const OPENAPI_PATH = new URL('../openapi/openapi.json', import.meta.url)

/** The OpenAPI document as committed: built from default settings, so it never depends on the environment. */
export async function openApiDocument (): Promise<string> {
  const app = await buildApp({ config: loadApiConfig({}) })
  await app.ready()
  const document = JSON.stringify(app.swagger(), null, 2) + '\n'
  await app.close()
  return document
}

if (fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_PATH, await openApiDocument())
  console.log(`wrote ${OPENAPI_PATH.pathname}`)
}
