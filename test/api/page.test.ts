// The page's routes: / and its hashed assets from the build's folder, their caching, the CSP, and a clear 503
// when the page was never built; plus the build itself (names hashed, the index naming them, the cache reused).
import t from 'tap'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../../api/app.ts'
import { bucketOrigins, contentSecurityPolicy } from '../../api/routes/page.ts'
import { buildWebAssets, cachedWebAssets } from '../../infra/web-bundle.ts'
import { dataDirectory } from '../helpers/data-dir.ts'
import { testConfig } from '../helpers/stack.ts'

t.test('/ serves the built page with a strict CSP, and /app/ its assets for a year', async t => {
  const webDir = await buildWebAssets(join(dataDirectory(t), 'web'))
  const config = testConfig({ embeddedPort: 4999 })
  const app = await buildApp({ config, webDir })
  t.teardown(() => app.close())

  const index = await app.inject('/')
  t.equal(index.statusCode, 200)
  t.match(index.headers, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' http://127.0.0.1:4999; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
  })
  t.notMatch(index.body, /\{\{/, 'every placeholder is filled in')
  t.notMatch(index.body, /<script>|<style>| style=/, 'no inline script or style, which the CSP would block')
  const again = await app.inject({ url: '/', headers: { 'if-none-match': String(index.headers.etag) } })
  t.equal(again.statusCode, 304, 'an unchanged index is not sent again')

  const [script, style] = [/src="\/app\/(main-[A-Z0-9]+\.js)"/, /href="\/app\/(main-[A-Z0-9]+\.css)"/].map(pattern => pattern.exec(index.body)?.[1])
  t.ok(script !== undefined && style !== undefined, 'the index names a hashed script and stylesheet')
  const js = await app.inject(`/app/${script}`)
  t.equal(js.statusCode, 200)
  t.match(js.headers, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' })
  t.match((await app.inject(`/app/${style}`)).headers, { 'content-type': 'text/css; charset=utf-8' })
  t.equal((await app.inject({ method: 'HEAD', url: '/' })).statusCode, 200, 'HEAD works too')

  const gone = await app.inject('/app/main-OLDHASH.js')
  t.equal(gone.statusCode, 404)
  t.match(gone.json(), { code: 'not-found', detail: /reload the page/ })
  t.equal((await app.inject('/docs')).headers['content-security-policy'], undefined, 'Swagger UI keeps its own rules')
})

t.test('without a build, / says how to get one and the API still answers', async t => {
  const app = await buildApp({ config: testConfig(), webDir: join(dataDirectory(t), 'nothing-here') })
  t.teardown(() => app.close())
  const res = await app.inject('/')
  t.equal(res.statusCode, 503)
  t.match(res.json(), { code: 'page-not-built', detail: /npm run build/ })
  t.equal((await app.inject('/health')).statusCode, 200)
})

t.test('the page may reach the bucket where presigned URLs point', async t => {
  t.same(bucketOrigins({ s3PublicEndpoint: 'http://localhost:4566/', bucketName: 'b', awsRegion: 'us-east-1' }), ['http://localhost:4566'])
  t.same(bucketOrigins({ s3PublicEndpoint: undefined, bucketName: 'my-bucket', awsRegion: 'eu-west-1' }),
    ['https://my-bucket.s3.eu-west-1.amazonaws.com', 'https://s3.eu-west-1.amazonaws.com'], 'on AWS: virtual host, and path style for dotted names')
  t.match(contentSecurityPolicy({ s3PublicEndpoint: undefined, bucketName: 'my-bucket', awsRegion: 'eu-west-1' }), /connect-src 'self' https:\/\/my-bucket\.s3\.eu-west-1\.amazonaws\.com https:\/\/s3\.eu-west-1\.amazonaws\.com;/)
})

t.test('npm start builds the page once per change of its sources', async t => {
  const cache = join(dataDirectory(t), 'web')
  const first = await cachedWebAssets(cache)
  const built = statSync(join(first, 'index.html')).mtimeMs
  t.equal(await cachedWebAssets(cache), first, 'the same sources give the same folder')
  t.equal(statSync(join(first, 'index.html')).mtimeMs, built, 'which is not rebuilt')
  t.same(readdirSync(cache), [first.split('/').at(-1)], 'one build is kept')
})
