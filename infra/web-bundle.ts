// How the page (web/) is bundled for browsers: esbuild into content-hashed assets and an index.html naming them;
// read by `npm run build` (the API function and the container) and by `npm start` (cached by the sources' hash).
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildOptions } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WEB = join(ROOT, 'web')

/** Where the built assets go below the output folder; the page plugin serves them under the same path. */
export const ASSETS_PATH = 'app'

/** Browsers the page is built for: those with ES2022 (class fields, top-level await), as Uppy 6 requires. */
export const WEB_BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15.4'],
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.svg': 'file' }
}

/**
 * Bundles web/src/main.ts (and the CSS it imports) into `outDir/app/`, names hashed by content, and writes
 * `outDir/index.html` from web/index.html with those names filled in. Returns `outDir`.
 */
export async function buildWebAssets (outDir: string): Promise<string> {
  await rm(outDir, { recursive: true, force: true })
  const { metafile } = await build({
    ...WEB_BUNDLE_OPTIONS,
    entryPoints: { main: join(WEB, 'src', 'main.ts') },
    outdir: join(outDir, ASSETS_PATH),
    metafile: true
  })
  const outputs = Object.keys(metafile.outputs).map(path => relative(outDir, join(ROOT, path)).split('\\').join('/'))
  const named = (extension: string) => {
    const found = outputs.find(path => path.endsWith(extension) && !path.endsWith('.map'))
    if (found === undefined) throw new Error(`the page's bundle has no ${extension} file`)
    return `/${found}`
  }
  const template = await readFile(join(WEB, 'index.html'), 'utf8')
  const index = template.replaceAll('{{script}}', named('.js')).replaceAll('{{style}}', named('.css'))
  await writeFile(join(outDir, 'index.html'), index)
  return outDir
}

/** SHA-256 over everything the bundle is made of: web/'s sources, the lockfile (Uppy's version) and this file. */
export async function webSourceHash (): Promise<string> {
  const hash = createHash('sha256')
  const files = [...await filesBelow(WEB), join(ROOT, 'package-lock.json'), fileURLToPath(import.meta.url)]
  for (const file of files.sort()) hash.update(relative(ROOT, file)).update('\0').update(await readFile(file)).update('\0')
  return hash.digest('hex').slice(0, 16)
}

/**
 * The page built under `cacheDir`, reused while its sources are unchanged: `npm start` pays esbuild's second once
 * per change, not per start. Older builds are removed.
 */
export async function cachedWebAssets (cacheDir: string): Promise<string> {
  const key = await webSourceHash()
  const dir = join(cacheDir, key)
  if (existsSync(join(dir, 'index.html'))) return dir
  await mkdir(cacheDir, { recursive: true })
  const staging = join(cacheDir, `.${key}-${process.pid}`)
  await buildWebAssets(staging)
  await rename(staging, dir)
  for (const old of await readdir(cacheDir)) {
    if (old !== key) await rm(join(cacheDir, old), { recursive: true, force: true })
  }
  return dir
}

async function filesBelow (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter(entry => entry.isFile()).map(entry => join(entry.parentPath, entry.name))
}
