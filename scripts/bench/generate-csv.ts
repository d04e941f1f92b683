// Deterministic CSV generator for benchmarks: the same size always gives the same bytes.
import { createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'

export const HEADER = 'id,customer,city,amount,created_at,status,comment\n'
const CITIES = ['New York', 'Los Angeles', 'São Paulo', 'Zürich', 'Tokyo', 'Lagos', 'Paris', 'Mumbai']
const STATUSES = ['paid', 'pending', 'refunded', 'failed']

/** mulberry32: a small seeded PRNG, so every run writes the same file. */
function random (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One row; about one in ten has a quoted comment with a comma, an escaped quote and a line break. */
function row (id: number, next: () => number): string {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!
  const comment = next() < 0.1
    ? `"Called back, said ""ok""\nfollow-up ${Math.floor(next() * 1000)}"`
    : `note ${Math.floor(next() * 100000)}`
  const day = String(1 + Math.floor(next() * 28)).padStart(2, '0')
  return `${id},customer-${Math.floor(next() * 50000)},${pick(CITIES)},${(next() * 10000).toFixed(2)},2026-03-${day}T12:00:00Z,${pick(STATUSES)},${comment}\n`
}

/** Writes a CSV of about `megabytes` MB to `path` (reused when already written) and returns its size and rows. */
export async function generateCsv (path: string, megabytes: number): Promise<{ rows: number, bytes: number }> {
  const next = random(megabytes)
  return await writeCsvOnce(path, HEADER, megabytes * 1024 * 1024, id => row(id, next))
}

/** writeCsv, unless `path` was written so before: its sidecar `path.json` holds the size and row count it had. */
export async function writeCsvOnce (path: string, header: string, bytes: number, row: (i: number) => string): Promise<{ bytes: number, rows: number }> {
  const sidecar = path + '.json'
  if (existsSync(sidecar) && existsSync(path)) {
    const known = JSON.parse(readFileSync(sidecar, 'utf8')) as { rows?: number, bytes: number }
    if (known.rows !== undefined && statSync(path).size === known.bytes) return { bytes: known.bytes, rows: known.rows }
  }
  const written = await writeCsv(path, header, bytes, row)
  writeFileSync(sidecar, JSON.stringify(written))
  return written
}

/** Writes `header`, then `row(1)`, `row(2)`, … to `path` in 1 MiB batches until it holds about `bytes`. */
export async function writeCsv (path: string, header: string, bytes: number, row: (i: number) => string): Promise<{ bytes: number, rows: number }> {
  const out = createWriteStream(path)
  let written = 0
  let rows = 0
  let batch = header
  while (written + batch.length < bytes) {
    batch += row(++rows)
    if (batch.length > 1 << 20) {
      written += Buffer.byteLength(batch)
      if (!out.write(batch)) await once(out, 'drain')
      batch = ''
    }
  }
  written += Buffer.byteLength(batch)
  out.end(batch)
  await once(out, 'finish')
  return { bytes: written, rows }
}
