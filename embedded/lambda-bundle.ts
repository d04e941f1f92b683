// What the embedded Lambda runtime's processes run, bundled at start: its worker, and the processor as it is deployed.
import { extname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type BuildOptions } from 'esbuild'

const EXTENSION = extname(fileURLToPath(import.meta.url))
const WORKER_SOURCE = fileURLToPath(new URL(`./lambda-worker${EXTENSION}`, import.meta.url))
/** The product's own handler, the default function the runtime hosts; read as a file, as Lambda reads its code. */
const HANDLER_SOURCE = fileURLToPath(new URL(`../lambda/handler${EXTENSION}`, import.meta.url))

/**
 * `npm run build`'s options for the processor (scripts/build.ts, which embedded/ may not import), so the stack runs
 * the bytes that are deployed; test/embedded/lambda-bundle.test.ts fails when the two differ.
 */
const DEPLOYED: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      "import { dirname as __pathDirname } from 'node:path';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      'const __dirname = __pathDirname(__filename);'
    ].join('\n')
  }
}

/** Paths a worker process needs: its own entry point (plain JavaScript) and the URL of the module exporting `handler`. */
export interface LambdaCode { worker: string, handlerModule: string }

/**
 * Bundles the worker into `outDir` and, unless `handlerModule` names another one, the product's handler as
 * `index.mjs` (handler `index.handler`, like the processor zip), so worker processes start as plain Node.
 */
export async function bundleLambdaCode (outDir: string, handlerModule?: string): Promise<LambdaCode> {
  await build({
    ...DEPLOYED,
    entryPoints: { worker: WORKER_SOURCE, ...(handlerModule === undefined ? { index: HANDLER_SOURCE } : {}) },
    outdir: outDir,
    outExtension: { '.js': '.mjs' }
  })
  return { worker: join(outDir, 'worker.mjs'), handlerModule: handlerModule ?? pathToFileURL(join(outDir, 'index.mjs')).href }
}
