// The page at / in a real browser (Debian's Chromium via playwright-core) against `npm start` on free ports, with
// no settings: drop a CSV and watch it to processed, open its detail; send 150 MB in parts, close the page midway,
// come back, resume from the parts already there, finish, delete. Screenshots go to the test's folder and docs/.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { uploadThroughApi, waitForVerdict } from '../../scripts/lib/upload.ts'
import { dataDirectory } from '../helpers/data-dir.ts'
import { freePort, waitFor } from '../helpers/stack.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium && process.env.CI === 'true') throw new Error(`Chromium is required in CI (apt-get install chromium), not found at ${CHROMIUM}`)
const MiB = 1024 * 1024

/**
 * `npm start` as a user runs it, in a fresh data folder; killed when the test ends. The API's port is picked free
 * beforehand (the page's default CORS origin is made of it), so it is picked again in the rare case another test's
 * connection took it before the server bound it; the embedded S3's port is the one the system chooses (0).
 */
async function npmStart (t: Test, settings: NodeJS.ProcessEnv = {}): Promise<string> {
  // The defaults (no CORS_ORIGINS, no API_KEY) unless `settings` says otherwise.
  const { CORS_ORIGINS: _cors, API_KEY: _key, ...inherited } = process.env
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    let output = ''
    let exited = false
    const child = spawn(process.execPath, ['--import', 'tsx', 'embedded/main.ts'], {
      cwd: ROOT,
      env: { ...inherited, PORT: String(port), EMBEDDED_PORT: '0', DATA_DIR: dataDirectory(t), LOG_LEVEL: 'warn', STACK: 'embedded', ...settings }
    })
    child.stdout.on('data', chunk => { output += chunk })
    child.stderr.on('data', chunk => { output += chunk })
    child.once('exit', () => { exited = true })
    t.teardown(() => { child.kill('SIGKILL') })
    await waitFor(async () => output.includes('CSV metadata service is up') || exited || undefined, 90_000, 'the banner')
      .catch((err: Error) => { throw new Error(`${err.message}; output so far:\n${output}`) })
    if (output.includes('CSV metadata service is up')) return `http://127.0.0.1:${port}`
    if (attempt === 3 || !output.includes(`Port ${port} is already in use`)) throw new Error(`npm start exited before its banner:\n${output}`)
  }
}

async function launch (t: Test): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  return browser
}

/** Console errors the page logs (CSP violations included), collected for an assertion at the end. */
function consoleErrors (page: Page): string[] {
  const errors: string[] = []
  page.on('console', message => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('pageerror', error => errors.push(error.message))
  return errors
}

/** Each status the entry of `name` in "This visit's uploads" shows, in order, recorded in the page (browser code as text: the tests compile without the DOM's types). */
async function recordStatuses (page: Page, name: string): Promise<() => Promise<string[]>> {
  await page.evaluate(`(() => {
    const seen = window.statuses = []
    const note = () => {
      const text = document.querySelector('#session li[data-file=' + JSON.stringify(${JSON.stringify(name)}) + '] .badge')?.textContent
      if (text !== undefined && seen.at(-1) !== text) seen.push(text)
    }
    new MutationObserver(note).observe(document.getElementById('session'), { subtree: true, childList: true, characterData: true })
  })()`)
  return () => page.evaluate('window.statuses') as Promise<string[]>
}

const statusOf = (page: Page, name: string) => page.locator(`#session li[data-file="${name}"] .badge`)
const rowOf = (page: Page, name: string) => page.locator(`#files tr[data-file="${name}"]`)

/** Refreshes the README's screenshots in docs/ when set to `docs`; otherwise a run leaves the tree as it was. */
const UPDATE_DOCS = process.env.PAGE_SCREENSHOTS === 'docs'

/** Saves a screenshot in the test's folder and, for the README when asked to, in docs/. */
async function screenshot (page: Page, dir: string, name: string, docs = false): Promise<void> {
  await page.screenshot({ path: join(dir, name), fullPage: true })
  if (docs && UPDATE_DOCS) {
    mkdirSync(join(ROOT, 'docs'), { recursive: true })
    copyFileSync(join(dir, name), join(ROOT, 'docs', name))
  }
}

/** A CSV of about `bytes` bytes: a header and numbered rows, written in large blocks. */
function generateCsv (path: string, bytes: number): number {
  const fd = openSync(path, 'w')
  writeSync(fd, 'id,name,amount,day\n')
  let rows = 0
  const block: string[] = []
  let written = 0
  while (written < bytes) {
    block.length = 0
    for (let i = 0; i < 20_000; i++) {
      rows++
      block.push(`${rows},name-${rows % 997},${(rows % 10_000) / 100},2026-01-${String(1 + (rows % 28)).padStart(2, '0')}\n`)
    }
    written += writeSync(fd, block.join(''))
  }
  closeSync(fd)
  return rows
}

t.test('the page at /, with npm start\'s defaults', { skip: hasChromium ? false : `no Chromium at ${CHROMIUM}` }, async t => {
  const api = await npmStart(t)
  const browser = await launch(t)
  const shots = dataDirectory(t)

  await t.test('drop a CSV: progress, then processed without a reload; its detail', async t => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const errors = consoleErrors(page)
    await page.goto(`${api}/`)
    await page.locator('#live[data-mode="live"]').waitFor({ timeout: 10_000 })
    const statuses = await recordStatuses(page, 'example.csv')

    // A drop as the browser delivers it: a DataTransfer holding the file, dropped on the Dashboard.
    const csv = JSON.stringify(readFileSync(join(ROOT, 'sample_data/example.csv'), 'utf8'))
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([${csv}], 'example.csv', { type: 'text/csv' }))
      return transfer
    })()`)
    await page.dispatchEvent('.uppy-Dashboard-inner', 'dragenter', { dataTransfer })
    await page.dispatchEvent('.uppy-Dashboard-inner', 'dragover', { dataTransfer })
    await page.dispatchEvent('.uppy-Dashboard-inner', 'drop', { dataTransfer })

    await statusOf(page, 'example.csv').filter({ hasText: 'processed' }).waitFor({ timeout: 30_000 })
    const seen = await statuses()
    t.equal(seen[0], 'uploading', `the status starts at uploading (${seen.join(' → ')})`)
    t.equal(seen.at(-1), 'processed', 'and ends processed')
    t.same(seen.filter(s => !['uploading', 'processing', 'processed'].includes(s)), [], 'through no other status')
    t.match(await page.locator('#session li[data-file="example.csv"]').textContent(), /85 B · 2 rows · 5 columns/)
    await rowOf(page, 'example.csv').filter({ hasText: 'processed' }).waitFor({ timeout: 10_000 })
    t.match(await rowOf(page, 'example.csv').textContent(), /example\.csv\s*processed\s*85 B\s*2\s*5/, 'the list shows it, live')
    await screenshot(page, shots, 'page-uploaded.png')

    // By keyboard: the name is a button; Enter opens the detail, which takes the focus.
    await page.locator('#files').getByRole('button', { name: 'example.csv' }).focus()
    await page.keyboard.press('Enter')
    const detail = page.locator('#detail')
    await detail.getByText('Read without warnings').waitFor()
    t.equal(await page.evaluate('document.activeElement.id'), 'detail', 'the focus moves to the detail')
    await detail.getByText('Read without warnings').waitFor()
    const facts = await detail.locator('dl.facts').textContent()
    t.match(facts, /Rows\s*2/)
    t.match(facts, /Columns\s*5/)
    t.match(facts, /Encoding\s*utf-8/)
    t.ok(await detail.locator('#profile-heading').isVisible(), 'a profile section: charts, or a clear "no profile"')
    t.ok(await detail.getByRole('link', { name: 'Download' }).isVisible(), 'a download link')
    await screenshot(page, shots, 'page.png', true)

    // A file with gaps, for the charts: missing values per column, and the spread of the numeric ones.
    const gaps = join(shots, 'readings.csv')
    writeFileSync(gaps, ['station,temperature,humidity,wind,note',
      ...Array.from({ length: 40 }, (_, i) => `s${i % 4},${i % 5 === 0 ? 'NA' : (12 + (i * 7) % 19) / 2},${i % 3 === 0 ? '' : 40 + (i * 11) % 50},${(i * 13) % 30},${i % 2 === 0 ? '' : 'ok'}`)].join('\n') + '\n')
    await page.locator('.uppy-DashboardContent-addMore').click()
    await page.locator('.uppy-Dashboard-input').first().setInputFiles(gaps)
    await statusOf(page, 'readings.csv').filter({ hasText: 'processed' }).waitFor({ timeout: 30_000 })
    await page.locator('#files').getByRole('button', { name: 'readings.csv' }).click()
    await page.locator('#detail dl.facts', { hasText: '573 B' }).waitFor()
    const charts = page.locator('#detail svg.chart')
    t.match(await charts.first().getAttribute('aria-label'), /temperature 20 %.*humidity 35 %.*note 50 %/, 'missing shares, also as text')
    await screenshot(page, shots, 'page-profile.png', true)

    await page.getByLabel('Status').selectOption('failed')
    await page.getByText('No files match.').waitFor()
    await page.getByLabel('Status').selectOption('processed')
    await rowOf(page, 'readings.csv').waitFor()
    t.equal(await page.locator('#files tbody tr').count(), 2, 'the status filter: none failed, both processed')
    await page.getByLabel('Name starts with').fill('read')
    await rowOf(page, 'example.csv').waitFor({ state: 'detached' })
    t.equal(await page.locator('#files tbody tr').count(), 1, 'the name filter')
    await page.getByLabel('Name starts with').fill('')
    await page.getByLabel('Status').selectOption('')

    await page.setViewportSize({ width: 380, height: 900 })
    t.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'no sideways scrolling at 380 px')
    await screenshot(page, shots, 'page-narrow.png', true)
    t.same(errors, [], 'no console errors, no CSP violations')
    await page.close()
  })

  await t.test('150 MB in parts: close the page midway, reopen, resume from the parts already sent, finish, delete', async t => {
    const file = join(dataDirectory(t), 'large.csv')
    const rows = generateCsv(file, 150_000_000)
    const size = statSync(file).size
    const partCount = Math.ceil(size / (5 * MiB))
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    t.teardown(() => context.close())

    const first = await context.newPage()
    const signed: number[] = []
    first.on('request', request => {
      const part = /\/s3\/multipart\/[^/?]+\/(\d+)\?/.exec(request.url())?.[1]
      if (part !== undefined) signed.push(Number(part))
    })
    await first.goto(`${api}/`)
    await first.locator('.uppy-Dashboard-input').first().setInputFiles(file)
    const progress = first.locator('#session li[data-file="large.csv"] progress')
    await waitFor(async () => Number(await progress.getAttribute('value')) >= 40 * MiB || undefined, 120_000, '40 MiB sent')
    await screenshot(first, dataDirectory(t), 'page-multipart.png', true)
    const sentBefore = Number(await progress.getAttribute('value'))
    const partsBefore = Math.floor(sentBefore / (5 * MiB))
    await first.close({ runBeforeUnload: false })
    t.ok(partsBefore >= 8, `closed with ${partsBefore} of ${partCount} parts sent (${(sentBefore / MiB).toFixed(0)} MiB)`)

    const second = await context.newPage()
    const errors = consoleErrors(second)
    const calls: string[] = []
    second.on('request', request => {
      const url = new URL(request.url())
      if (url.pathname.startsWith('/s3/')) calls.push(`${request.method()} ${url.pathname.replace(/\/\d+$/, '/N')}`)
    })
    await second.goto(`${api}/`)
    // Golden Retriever remembers the file but not its 150 MB of bytes: it asks for the same file again.
    await second.locator('.uppy-Dashboard-files').getByText('large.csv').waitFor({ timeout: 10_000 })
    await screenshot(second, dataDirectory(t), 'page-restored.png')
    await second.locator('.uppy-DashboardContent-addMore').click()
    await second.locator('.uppy-Dashboard-input').first().setInputFiles(file)
    await second.locator('.uppy-StatusBar-actionBtn--upload').click()
    await statusOf(second, 'large.csv').filter({ hasText: 'processed' }).waitFor({ timeout: 180_000 })

    t.notOk(calls.includes('POST /s3/multipart'), 'no new multipart upload was created')
    t.ok(calls.some(call => /^GET \/s3\/multipart\/[^/]+$/.test(call)), 'the parts already there were listed')
    const resent = calls.filter(call => call.endsWith('/N')).length
    t.ok(resent <= partCount - partsBefore + 1, `${resent} parts sent after the reload, of ${partCount}`)
    t.equal(new Set(signed).size + resent >= partCount, true, 'every part was sent once at least')

    const record = await (await fetch(`${api}/files/large.csv`)).json() as { row_count: number, file_size_bytes: number, etag: string }
    t.match(record, { row_count: rows, file_size_bytes: size, etag: new RegExp(`-${partCount}$`) }, `one object of ${partCount} parts, every row counted`)

    await rowOf(second, 'large.csv').getByRole('button', { name: 'large.csv' }).click()
    await second.locator('#detail').getByText('Read without warnings').waitFor()
    await screenshot(second, dataDirectory(t), 'page-large-detail.png')
    second.once('dialog', dialog => { dialog.accept().catch(() => {}) })
    await second.locator('#detail').getByRole('button', { name: 'Delete' }).click()
    await second.locator('#detail').getByText('large.csv was deleted.').waitFor({ timeout: 30_000 })
    await rowOf(second, 'large.csv').waitFor({ state: 'detached' })
    t.equal((await fetch(`${api}/files/large.csv`)).status, 404, 'gone from the API')
    t.same(errors, [], 'no console errors')
  })

  await t.test('pages of 20, newest first, through the API\'s cursor', async t => {
    for (let i = 0; i < 21; i++) await uploadThroughApi(api, `paged-${String(i).padStart(2, '0')}.csv`, 'a,b\n1,2\n')
    await waitForVerdict(api, 'paged-20.csv', { timeoutMs: 30_000 })
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(`${api}/`)
    await rowOf(page, 'paged-20.csv').waitFor()
    t.equal(await page.locator('#files tbody tr').count(), 20, 'a first page of 20')
    t.equal(await page.locator('#files tbody tr').first().getAttribute('data-file'), 'paged-20.csv', 'the newest on top')
    await page.getByRole('button', { name: 'Next page' }).click()
    await page.getByText('Page 2').waitFor()
    const second = await page.locator('#files tbody tr').evaluateAll(rows => rows.map(row => row.getAttribute('data-file')))
    t.ok(second.includes('paged-00.csv') && second.includes('example.csv'), `the rest on page 2 (${second.join(', ')})`)
    t.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled(), 'and no page after it')
    await page.getByRole('button', { name: 'First page' }).click()
    await rowOf(page, 'paged-20.csv').waitFor()
    await page.close()
  })
})

t.test('with API_KEY: the page asks for the key once per tab, then uploads small and large files with it', { skip: hasChromium ? false : `no Chromium at ${CHROMIUM}` }, async t => {
  const key = 'page-test-key-0123456789'
  const api = await npmStart(t, { API_KEY: key })
  const browser = await launch(t)
  const dir = dataDirectory(t)
  const small = join(dir, 'keyed.csv')
  copyFileSync(join(ROOT, 'sample_data/example.csv'), small)
  const large = join(dir, 'keyed-large.csv')
  const rows = generateCsv(large, 105 * MiB)

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const errors = consoleErrors(page)
  await page.goto(`${api}/`)
  await page.getByText('This server needs an API key.').waitFor()
  t.ok(await page.getByLabel('API key').isVisible(), 'a labelled field for the key')
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Use key' }).click()
  await page.locator('#live[data-mode="polling"]').waitFor()
  t.pass('EventSource cannot send the key: the page follows files by polling')

  await page.locator('.uppy-Dashboard-input').first().setInputFiles([small, large])
  await statusOf(page, 'keyed.csv').filter({ hasText: 'processed' }).waitFor({ timeout: 60_000 })
  await statusOf(page, 'keyed-large.csv').filter({ hasText: 'processed' }).waitFor({ timeout: 120_000 })
  const listed = await (await fetch(`${api}/files/keyed-large.csv`, { headers: { authorization: `Bearer ${key}` } })).json() as { row_count: number }
  t.equal(listed.row_count, rows, 'the large file went in parts, through /s3/ routes that need the key')

  await page.reload()
  await rowOf(page, 'keyed.csv').waitFor()
  t.ok(await page.locator('#key-form').isVisible(), 'after a reload the tab still has its key')
  t.equal(await page.getByText('This server needs an API key.').count(), 0, 'and is not asked again')
  await screenshot(page, dir, 'page-api-key.png')
  t.same(errors.filter(e => !/401/.test(e)), [], 'no console errors but the first, refused request')
})
