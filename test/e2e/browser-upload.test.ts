// A real browser (Chromium via playwright-core) uploads through a presigned URL to the embedded S3, from a page
// on an origin CORS_ORIGINS allows; a page on another origin is refused by the bucket's CORS rule.
import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import { chromium, type Browser } from 'playwright-core'
import { buildApp } from '../../api/app.ts'
import { waitForVerdict } from '../../scripts/lib/upload.ts'
import { SEED } from '../helpers/sample.ts'
import { startTestStack } from '../helpers/stack.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium && process.env.CI === 'true') throw new Error(`Chromium is required in CI (apt-get install chromium), not found at ${CHROMIUM}`)

/** A server for an empty page, standing for a web app's origin. */
async function pageOrigin (t: Test): Promise<string> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  const { port } = server.address() as { port: number }
  return `http://127.0.0.1:${port}`
}

interface PageUpload { ticket?: number, put?: number, etag?: string | null, error?: string }

/**
 * In the page: POST /uploads (unless a ticket is given), then PUT the file to the presigned URL with the headers
 * the API asked for. A request the browser refuses (CORS) comes back as `error`.
 */
async function uploadFromPage (browser: Browser, origin: string, api: string, filename: string, options: { declareLength?: boolean, uploadUrl?: string } = {}): Promise<PageUpload> {
  const page = await browser.newPage()
  try {
    await page.goto(origin)
    return await page.evaluate(async ({ api, filename, csv, declareLength, uploadUrl }) => {
      const body = new Blob([csv], { type: 'text/csv' })
      try {
        let ticket = { status: undefined as number | undefined, uploadUrl, method: 'PUT', headers: {} as Record<string, string> }
        if (uploadUrl === undefined) {
          const answer = await fetch(`${api}/uploads`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(declareLength === true ? { filename, contentLength: body.size } : { filename })
          })
          ticket = { status: answer.status, ...(await answer.json() as Omit<typeof ticket, 'status'>) }
        }
        // The browser sets Content-Length itself; a page may not.
        const headers = Object.fromEntries(Object.entries(ticket.headers).filter(([name]) => name !== 'content-length'))
        const put = await fetch(ticket.uploadUrl!, { method: ticket.method, headers, body })
        return { ticket: ticket.status, put: put.status, etag: put.headers.get('etag') }
      } catch (err) {
        return { error: String(err) }
      }
    }, { api, filename, csv: SEED.toString(), ...options })
  } finally {
    await page.close()
  }
}

t.test('a browser uploads through a presigned URL, from an allowed origin only', { skip: hasChromium ? false : `no Chromium at ${CHROMIUM}` }, async t => {
  const allowed = await pageOrigin(t)
  const other = await pageOrigin(t)
  const { config } = await startTestStack(t, { corsOrigins: allowed })
  const app = await buildApp({ config })
  t.teardown(() => app.close())
  const api = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())

  const plain = await uploadFromPage(browser, allowed, api, 'browser.csv')
  t.match(plain, { ticket: 201, put: 200, etag: /^"[0-9a-f]{32}"$/ }, 'the PUT succeeds and the page can read the ETag')
  t.match(await waitForVerdict(api, 'browser.csv', { timeoutMs: 30_000 }), { status: 'processed', row_count: 2, column_count: 5 })

  const signedLength = await uploadFromPage(browser, allowed, api, 'browser-length.csv', { declareLength: true })
  t.match(signedLength, { ticket: 201, put: 200 }, 'with contentLength declared, the signed length is the browser\'s')
  t.match(await waitForVerdict(api, 'browser-length.csv', { timeoutMs: 30_000 }), { status: 'processed', row_count: 2 })

  t.match(await uploadFromPage(browser, other, api, 'elsewhere.csv'), { error: /Failed to fetch/ }, 'a page on another origin cannot call the API')
  const ticket = await (await fetch(`${api}/uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"filename":"elsewhere.csv"}' })).json() as { uploadUrl: string }
  t.match(await uploadFromPage(browser, other, api, 'elsewhere.csv', { uploadUrl: ticket.uploadUrl }), { error: /Failed to fetch/ },
    'nor PUT to the bucket, even with a valid presigned URL')
})
