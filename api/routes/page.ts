// GET / (the page) and GET /app/* (its assets), served from the folder the page's build wrote (infra/web-bundle.ts),
// read into memory once: hashed asset names cached for a year, the index revalidated, under a strict CSP.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import type { ApiConfig } from '../config.ts'
import { HttpProblem } from '../problem.ts'
import type { RouteOptions } from '../services.ts'

export interface PageOptions extends RouteOptions {
  /** The build's output: `index.html` and `app/`. Undefined, or a folder without them: `/` says how to build it. */
  webDir: string | undefined
}

interface Asset { body: Buffer, type: string, etag: string }

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/** Asset names carry their content's hash, so a name never changes meaning. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

/**
 * Where the page's uploads go: the origin presigned URLs point at. With an endpoint (embedded, LocalStack, a
 * public S3_PUBLIC_ENDPOINT) that one; on AWS the bucket's virtual host, or S3's regional host for a bucket name
 * with dots, which the SDK addresses by path.
 */
export function bucketOrigins (config: Pick<ApiConfig, 's3PublicEndpoint' | 'bucketName' | 'awsRegion'>): string[] {
  if (config.s3PublicEndpoint !== undefined) return [new URL(config.s3PublicEndpoint).origin]
  return [`https://${config.bucketName}.s3.${config.awsRegion}.amazonaws.com`, `https://s3.${config.awsRegion}.amazonaws.com`]
}

/**
 * Only this origin's script and styles run; requests go to the API (same origin) and the bucket. No inline script
 * or style, no frames, no forms posted anywhere, no plugins. Uppy sets styles through the DOM, which CSP allows.
 */
export function contentSecurityPolicy (config: Pick<ApiConfig, 's3PublicEndpoint' | 'bucketName' | 'awsRegion'>): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${bucketOrigins(config).join(' ')}`,
    "form-action 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'"
  ].join('; ')
}

function readAssets (webDir: string): { index: Asset, assets: Map<string, Asset> } | undefined {
  const indexPath = join(webDir, 'index.html')
  if (!existsSync(indexPath)) return undefined
  const asset = (path: string): Asset => {
    const body = readFileSync(path)
    return { body, type: TYPES[extname(path)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }
  }
  const appDir = join(webDir, 'app')
  const names = existsSync(appDir) ? readdirSync(appDir) : []
  return { index: asset(indexPath), assets: new Map(names.map(name => [name, asset(join(appDir, name))])) }
}

const page: FastifyPluginAsyncTypebox<PageOptions> = async (app, { config, webDir }) => {
  const built = webDir === undefined ? undefined : readAssets(webDir)
  const csp = contentSecurityPolicy(config)

  const send = (reply: FastifyReply, asset: Asset, cacheControl: string) => reply
    .header('content-type', asset.type)
    .header('cache-control', cacheControl)
    .header('etag', asset.etag)
    .header('x-content-type-options', 'nosniff')
    .send(asset.body)

  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (built === undefined) {
      throw new HttpProblem(503, 'page-not-built',
        'The web page is not built. `npm start` builds it; for the container or the API Lambda, run `npm run build`. The API itself works: see /docs.')
    }
    reply.header('content-security-policy', csp).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY')
    if (request.headers['if-none-match'] === built.index.etag) return reply.code(304).header('etag', built.index.etag).header('cache-control', 'no-cache').send()
    return send(reply, built.index, 'no-cache')
  })

  app.get<{ Params: { name: string } }>('/app/:name', { schema: { hide: true } }, async (request, reply) => {
    const asset = built?.assets.get(request.params.name)
    if (asset === undefined) throw new HttpProblem(404, 'not-found', `No page asset ${request.params.name}; reload the page to get the current names.`)
    return send(reply, asset, IMMUTABLE)
  })
}

export default page
