// How every deployable is bundled (esbuild options): read by `npm run build` and by the embedded stack, which runs
// the processor from the same bytes that are deployed.
import type { BuildOptions } from 'esbuild'

/** Lets the CommonJS dependencies inside an ES module bundle find `require`, `__dirname` and `__filename`. */
const COMMONJS_SHIM = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  "import { dirname as __pathDirname } from 'node:path';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  'const __dirname = __pathDirname(__filename);'
].join('\n')

export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The oldest Node the product runs on; Lambda runs nodejs22.x.
  target: 'node20.19',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: COMMONJS_SHIM }
}
