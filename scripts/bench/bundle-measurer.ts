// Bundles a measuring program as the Lambda handler is deployed, so its numbers (peak RSS above all) are those of
// plain Node running bundled code, not of the TypeScript loader.
import { join } from 'node:path'
import { build } from 'esbuild'
import { BUNDLE_OPTIONS } from '../../infra/bundle.ts'

/**
 * Bundles each entry (output name → source) into `outdir` as ESM for Node, and returns the first one's path.
 * `external` packages are left out of the bundle and resolve from beside it at run time.
 */
export async function bundleMeasurer (entryPoints: Record<string, string>, outdir: string, external: string[] = []): Promise<string> {
  await build({
    entryPoints,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    external,
    // The deployed bundles' shim for CommonJS dependencies, whose names no bundled module's own imports take.
    banner: BUNDLE_OPTIONS.banner
  })
  return join(outdir, `${Object.keys(entryPoints)[0]}.mjs`)
}
