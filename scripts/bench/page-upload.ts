// One large file through the page at / in Chromium, against an `npm start` of its own: how many parts Uppy makes,
// how long they take to send, and when the file is processed. Run: node --import tsx scripts/bench/page-upload.ts [GB]
import { spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { freePort } from '../lib/free-port.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** A CSV of at least `bytes` bytes: a header, then one block of a million rows written again and again. */
function writeCsv (path: string, bytes: number): { size: number, rows: number } {
  const lines: string[] = []
  for (let i = 0; i < 1_000_000; i++) lines.push(`${i},name-${i % 997},${(i % 10_000) / 100},2026-01-${String(1 + (i % 28)).padStart(2, '0')}\n`)
  const block = Buffer.from(lines.join(''))
  const fd = openSync(path, 'w')
  let size = writeSync(fd, 'id,name,amount,day\n')
  let rows = 0
  while (size < bytes) {
    size += writeSync(fd, block)
    rows += lines.length
  }
  closeSync(fd)
  return { size, rows }
}

const seconds = (from: number) => Number(((performance.now() - from) / 1000).toFixed(1))

async function run (gigabytes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'page-upload-'))
  const child = spawn(process.execPath, ['--import', 'tsx', 'embedded/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(await freePort()), EMBEDDED_PORT: String(await freePort()), DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn', STACK: 'embedded' }
  })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  try {
    const file = join(dir, 'large.csv')
    const { size, rows } = writeCsv(file, gigabytes * 1e9)
    let output = ''
    child.stdout.on('data', chunk => { output += chunk })
    child.stderr.on('data', chunk => { output += chunk })
    while (!output.includes('CSV metadata service is up')) await new Promise(resolve => setTimeout(resolve, 200))
    const api = /Page: +(\S+)/.exec(output)![1]!.replace(/\/$/, '')

    const page = await browser.newPage()
    let parts = 0
    page.on('request', request => { if (/\/s3\/multipart\/[^/?]+\/\d+\?/.test(request.url())) parts++ })
    await page.goto(`${api}/`)
    const started = performance.now()
    await page.locator('.uppy-Dashboard-input').first().setInputFiles(file)
    const badge = page.locator('#session li[data-file="large.csv"] .badge')
    await badge.filter({ hasText: /processing|processed|failed/ }).waitFor({ timeout: 0 })
    const sent = seconds(started)
    await badge.filter({ hasText: /processed|failed/ }).waitFor({ timeout: 0 })
    const record = await (await fetch(`${api}/files/large.csv`)).json() as { status: string, row_count?: number, etag: string }
    console.log(JSON.stringify({ bytes: size, rows, parts, sentSeconds: sent, finalSeconds: seconds(started), status: record.status, rowCount: record.row_count, etag: record.etag }))
  } finally {
    await browser.close()
    child.kill('SIGTERM')
    await new Promise(resolve => child.once('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
}

await run(Number(process.argv[2] ?? 6))
