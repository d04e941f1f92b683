// What the embedded Lambda runtime's processes run, bundled at start: its worker, and the processor as it is deployed.
import { extname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { BUNDLE_OPTIONS } from '../infra/bundle.ts'

const EXTENSION = extname(fileURLToPath(import.meta.url))
const WORKER_SOURCE = fileURLToPath(new URL(`./lambda-worker${EXTENSION}`, import.meta.url))
/** The product's own handler, the default function the runtime hosts; read as a file, as Lambda reads its code. */
const HANDLER_SOURCE = fileURLToPath(new URL(`../lambda/handler${EXTENSION}`, import.meta.url))
/** The threads the handler starts to profile pieces of a file load this file beside it (lambda/profile-pool.ts). */
const PROFILE_WORKER_SOURCE = fileURLToPath(new URL(`../lambda/profile-worker${EXTENSION}`, import.meta.url))

/** Paths a worker process needs: its own entry point (plain JavaScript) and the URL of the module exporting `handler`. */
export interface LambdaCode { worker: string, handlerModule: string }

/**
 * Bundles the worker into `outDir` and, unless `handlerModule` names another one, the product's handler as
 * `index.mjs` (handler `index.handler`, like the processor zip), so worker processes start as plain Node.
 */
export async function bundleLambdaCode (outDir: string, handlerModule?: string): Promise<LambdaCode> {
  await build({
    ...BUNDLE_OPTIONS,
    entryPoints: { worker: WORKER_SOURCE, ...(handlerModule === undefined ? { index: HANDLER_SOURCE, 'profile-worker': PROFILE_WORKER_SOURCE } : {}) },
    outdir: outDir,
    outExtension: { '.js': '.mjs' }
  })
  return { worker: join(outDir, 'worker.mjs'), handlerModule: handlerModule ?? pathToFileURL(join(outDir, 'index.mjs')).href }
}
