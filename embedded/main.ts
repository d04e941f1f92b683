// Entry point of `npm start`: the embedded AWS stack (unless AWS is configured), then the API in front of it.
import { join } from 'node:path'
import { portInUse, serveApi } from '../api/serve.ts'
import { cachedWebAssets } from '../infra/web-bundle.ts'
import { loadEmbeddedConfig, type EmbeddedConfig } from './config.ts'
import { startEmbeddedStack } from './stack.ts'

/** The page, bundled from web/ while the stack starts (reused while web/ is unchanged); without it the API still runs. */
async function buildPage (config: EmbeddedConfig): Promise<string | undefined> {
  try {
    return await cachedWebAssets(join(config.dataDir, 'web'))
  } catch (err) {
    console.error(`The web page could not be built, so / answers 503 (the API works): ${err instanceof Error ? err.message : String(err)}`)
    return undefined
  }
}

async function main (config: EmbeddedConfig): Promise<void> {
  const page = buildPage(config)
  if (config.stack === 'external') {
    await serveApi(config, { webDir: await page })
    return
  }
  const stack = await startEmbeddedStack(config).catch((err: unknown) => { throw portInUse(err, config.embeddedPort, 'EMBEDDED_PORT') })
  // EMBEDDED_PORT=0 lets the system choose the port: the API's clients and presigned URLs use the one chosen.
  const apiConfig = config.embeddedPort === 0 ? loadEmbeddedConfig(process.env, { embeddedPort: Number(new URL(stack.endpoint).port) }) : config
  const app = await serveApi(apiConfig, {
    webDir: await page,
    awsLine: `S3+DynamoDB:   ${stack.endpoint}  (embedded; data in ${config.dataDir}/)`,
    onClose: () => stack.close()
  }).catch(async (err: unknown) => {
    await stack.close()
    throw err
  })
  stack.caughtUp.then(
    ({ drift, failures }) => {
      if (drift.length > 0) app.log.info({ drift: drift.map(({ key, reason }) => ({ key, reason })), failures }, `caught up on ${drift.length} file(s) left unprocessed by the last run`)
    },
    (err: unknown) => app.log.error({ err }, 'catching up on files left unprocessed failed; run `npm run reconcile`')
  )
}

try {
  await main(loadEmbeddedConfig())
} catch (err) {
  console.error(`Cannot start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}
