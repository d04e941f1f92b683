// `npm run build`: bundles the deployable artifacts with esbuild into dist/ (Lambda zips, container entry points).
import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildOptions } from 'esbuild'
import { zipSync } from 'fflate'
import { BUNDLE_OPTIONS } from '../infra/bundle.ts'
import { buildWebAssets } from '../infra/web-bundle.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface Artifacts {
  /** Directory holding the processor's `index.mjs` (handler `index.handler`). */
  processorDir: string
  /** The same directory zipped, as CreateFunction takes it. */
  processorZip: string
  /** Directory holding the API's Lambda entry `index.mjs`, Swagger UI's static files and the page (`web/`). */
  apiFunctionDir: string
  /** Container entry points: `server.mjs` (the API, with the page in `web/`) and `provision.mjs` (LocalStack provisioning). */
  serverDir: string
  /** Directory holding the webhook sender's `index.mjs` (deployed when WEBHOOK_URLS is set). */
  webhookSenderDir: string
  /** The same directory zipped. */
  webhookSenderZip: string
}

/** Builds every artifact under `outDir` (default dist/), replacing what was there. */
export async function buildAll (outDir = join(ROOT, 'dist')): Promise<Artifacts> {
  const [processor, apiFunctionDir, serverDir, webhookSender] = await Promise.all([
    buildProcessor(join(outDir, 'lambda')),
    buildApiFunction(join(outDir, 'lambda', 'api')),
    buildServer(join(outDir, 'server')),
    buildWebhookSender(join(outDir, 'lambda'))
  ])
  return { ...processor, apiFunctionDir, serverDir, ...webhookSender }
}

/** The function an EventBridge rule invokes with each verdict, to send the webhooks (AWS). */
export async function buildWebhookSender (outDir: string): Promise<Pick<Artifacts, 'webhookSenderDir' | 'webhookSenderZip'>> {
  const webhookSenderDir = join(outDir, 'webhook-sender')
  await rm(webhookSenderDir, { recursive: true, force: true })
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'lambda/webhook-sender.ts')], outfile: join(webhookSenderDir, 'index.mjs') })
  const webhookSenderZip = join(outDir, 'webhook-sender.zip')
  await writeFile(webhookSenderZip, await zipDirectory(webhookSenderDir, ['index.mjs', 'index.mjs.map']))
  return { webhookSenderDir, webhookSenderZip }
}

/** The S3-triggered handler: every dependency (AWS SDK included) in one file, so the runtime's SDK version does not matter. */
export async function buildProcessor (outDir: string): Promise<Pick<Artifacts, 'processorDir' | 'processorZip'>> {
  const processorDir = join(outDir, 'processor')
  await rm(processorDir, { recursive: true, force: true })
  // The threads that profile files or their pieces run profile-worker.mjs, beside the handler (lambda/profilers.ts).
  await build({ ...BUNDLE_OPTIONS, entryPoints: { index: join(ROOT, 'lambda/handler.ts'), 'profile-worker': join(ROOT, 'lambda/profile-worker.ts') }, outdir: processorDir, outExtension: { '.js': '.mjs' } })
  const processorZip = join(outDir, 'processor.zip')
  await writeFile(processorZip, await zipDirectory(processorDir, ['index.mjs', 'index.mjs.map', 'profile-worker.mjs', 'profile-worker.mjs.map']))
  return { processorDir, processorZip }
}

/** The API as a Lambda function (behind a function URL), with Swagger UI's assets and the page beside it. */
export async function buildApiFunction (outDir: string): Promise<string> {
  await rm(outDir, { recursive: true, force: true })
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'api/lambda.ts')], outfile: join(outDir, 'index.mjs') })
  await buildWebAssets(join(outDir, 'web'))
  const swaggerUi = dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json'))
  // @fastify/swagger-ui reads its logo from `static/` beside its code, which is the bundle once bundled.
  await cp(join(swaggerUi, 'static'), join(outDir, 'static'), { recursive: true })
  return outDir
}

/** Files of the container image, in dist/server/. */
export const SERVER_ENTRY_POINTS = { server: 'server.mjs', provision: 'provision.mjs' } as const

/** npm packages stay external and come from the image's production node_modules. */
const SERVER_BUILD: BuildOptions = {
  ...BUNDLE_OPTIONS,
  entryPoints: { server: join(ROOT, 'api/server.ts'), provision: join(ROOT, 'scripts/provision.ts') },
  outExtension: { '.js': '.mjs' },
  packages: 'external'
}

/** Entry points of the container image: the API and the LocalStack provisioning job. */
export async function buildServer (outDir: string): Promise<string> {
  await rm(outDir, { recursive: true, force: true })
  await build({ ...SERVER_BUILD, outdir: outDir })
  await buildWebAssets(join(outDir, 'web'))
  return outDir
}

/** The packages (and built-ins) the container entry points import at run time. */
export async function serverPackageImports (): Promise<string[]> {
  return (await bundleContents('server')).packages
}

/** What a bundle is made of: the source files inside it and the packages it imports (bundled or external). */
export interface BundleContents { files: string[], packages: string[] }

const BUNDLES = {
  processor: { ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'lambda/handler.ts')], outfile: join(ROOT, 'dist/check/processor.mjs') },
  apiFunction: { ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'api/lambda.ts')], outfile: join(ROOT, 'dist/check/api.mjs') },
  webhookSender: { ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'lambda/webhook-sender.ts')], outfile: join(ROOT, 'dist/check/webhook-sender.mjs') },
  server: { ...SERVER_BUILD, outdir: join(ROOT, 'dist/check/server') }
} satisfies Record<string, BuildOptions>

/** Reads esbuild's metafile of one deployable, without writing it. */
export async function bundleContents (bundle: keyof typeof BUNDLES): Promise<BundleContents> {
  const { metafile } = await build({ ...BUNDLES[bundle], write: false, metafile: true })
  const files = Object.keys(metafile.inputs)
  const external = Object.values(metafile.outputs).flatMap(output => output.imports.filter(i => i.external).map(i => i.path))
  const bundled = files.flatMap(file => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? [])
  const packages = [...external, ...bundled].map(path => path.split('/').slice(0, path.startsWith('@') ? 2 : 1).join('/'))
  return { files: files.filter(file => !file.includes('node_modules/')), packages: [...new Set(packages)].sort() }
}

/** A zip with fixed timestamps, so the same code gives the same bytes (and Lambda sees no change). */
async function zipDirectory (dir: string, names: string[]): Promise<Uint8Array> {
  const files = Object.fromEntries(await Promise.all(names.map(async name =>
    [name, [await readFile(join(dir, name)), { mtime: new Date('2000-01-01T00:00:00Z') }] as const])))
  return zipSync(files, { level: 9 })
}

if (fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now()
  const artifacts = await buildAll()
  console.log(`built in ${Math.round(performance.now() - started)} ms:`)
  for (const [name, path] of Object.entries(artifacts)) console.log(`  ${name.padEnd(14)} ${path}`)
}
