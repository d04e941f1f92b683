// `npm run bench`'s profile table: the product's column profile against DuckDB SUMMARIZE and polars describe,
// on the same files, each engine in its own process (so peak RSS is its own), with the raw read as the ceiling.
import { execFile } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createGzip } from 'node:zlib'
import { bundleMeasurer } from './bundle-measurer.ts'
import { generateCsv, writeCsvOnce } from './generate-csv.ts'

const run = promisify(execFile)
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** Where the measurer is bundled: in node_modules, so DuckDB's and polars' native packages, left out of the bundle, resolve. */
function benchCache (): string {
  const dir = here('../../node_modules/.cache/csv-metadata-bench')
  mkdirSync(dir, { recursive: true })
  return dir
}

const ENGINES = ['raw', 'profile', 'duckdb', 'polars'] as const
type Engine = typeof ENGINES[number]
/**
 * Raw, profile and DuckDB run three times each, alternating, median kept: the machine's speed swings by a third
 * within minutes, so the goal's ratio compares runs of the same minutes. polars, held to no goal, runs once.
 */
const REPEATS = 3

export interface BenchFile { label: string, path: string, csvBytes: number, rows: number }
interface Run { rows?: number, columns?: number, seconds: number, cpuSeconds: number, peakRssMb: number }
export type Table = (title: string, head: string[], rows: Array<Array<string | number>>) => void

const CITIES = ['New York', 'Los Angeles', 'Sao Paulo, SP', 'Zurich', 'Tokyo', 'Lagos', 'Paris', 'Mumbai']

/** Every field of every row quoted, some with a comma inside: the shape of the 200 MB reference file. */
function quotedRow (i: number): string {
  const amount = ((i * 7919) % 1_000_000 / 100).toFixed(2)
  const day = String(1 + i % 28).padStart(2, '0')
  return `"${i}","customer-${(i * 104_729) % 50_000}","${CITIES[i % CITIES.length]}","${amount}","2026-03-${day}","${i % 3 === 0 ? 'paid' : 'pending'}","note ${(i * 31) % 100_000}"\n`
}

/** 500 columns cycling through integer, number, date, boolean and text, with an empty field and a null now and then. */
function wideRow (i: number): string {
  const fields = Array.from({ length: 500 }, (_, c) => {
    const v = (i * 31 + c * 17) % 1000
    if (v === 7) return ''
    if (v === 11) return 'NA'
    switch (c % 5) {
      case 0: return String(v)
      case 1: return (v / 8).toFixed(3)
      case 2: return `2026-${String(1 + v % 12).padStart(2, '0')}-${String(1 + v % 28).padStart(2, '0')}`
      case 3: return v % 2 === 0 ? 'true' : 'false'
      default: return `t${v}`
    }
  })
  return fields.join(',') + '\n'
}

/**
 * The five files of the profile table, written to `dir` once and reused by later runs (the generator's 100 MB and
 * 1 GB are the Extraction table's files too).
 */
export async function prepareFiles (dir: string): Promise<BenchFile[]> {
  process.stderr.write('profile bench: generating the files\n')
  const generated = join(dir, 'bench-100MB.csv')
  const gen = await generateCsv(generated, 100)
  const quoted = await writeCsvOnce(join(dir, 'profile-quoted.csv'), '"id","customer","city","amount","day","status","comment"\n', 100e6, quotedRow)
  const wideHeader = Array.from({ length: 500 }, (_, c) => `c${c}`).join(',') + '\n'
  const wide = await writeCsvOnce(join(dir, 'profile-wide.csv'), wideHeader, 50e6, wideRow)
  const gzipped = generated + '.gz'
  if (!existsSync(gzipped)) {
    await pipeline(createReadStream(generated), createGzip(), createWriteStream(gzipped + '.part'))
    renameSync(gzipped + '.part', gzipped)
  }
  const gzBytes = statSync(gzipped).size
  const large = await generateCsv(join(dir, 'bench-1024MB.csv'), 1024)
  return [
    { label: `generator, ${mb(gen.bytes)} MB`, path: generated, csvBytes: gen.bytes, rows: gen.rows },
    { label: `every field quoted, ${mb(quoted.bytes)} MB`, path: join(dir, 'profile-quoted.csv'), csvBytes: quoted.bytes, rows: quoted.rows },
    { label: `500 columns, ${mb(wide.bytes)} MB`, path: join(dir, 'profile-wide.csv'), csvBytes: wide.bytes, rows: wide.rows },
    { label: `gzip of the generator's (${mb(gzBytes)} MB → ${mb(gen.bytes)} MB)`, path: gzipped, csvBytes: gen.bytes, rows: gen.rows },
    { label: `generator, ${mb(large.bytes)} MB`, path: join(dir, 'bench-1024MB.csv'), csvBytes: large.bytes, rows: large.rows }
  ]
}

const mb = (bytes: number) => Math.round(bytes / 1e6)

/** npm leaves out polars' native package on Node 20: it declares `engines: node >= 22`, and the package is optional. */
const POLARS_ON_NODE_20 = ' (on Node 20, npm skips polars\' native package, which asks for Node 22; `npm install --no-save nodejs-polars-linux-x64-gnu@0.25.2` adds it, and it runs)'

function median (runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds)
  return { ...sorted[Math.floor(sorted.length / 2)]!, peakRssMb: Math.max(...runs.map(r => r.peakRssMb)) }
}

type Measure = (engine: 'raw' | 'profile' | 'count', file: BenchFile, workers?: number) => Promise<Run | undefined>

/**
 * The profile on other threads (PROFILE_WORKERS: 1, the whole file on a thread of its own; 2, pieces on two), beside
 * counting alone (the scanner's counting-only mode): each the median of 3 alternating runs, as MB/s and as a speed-up
 * over the profile on the handler's thread.
 */
async function threadsTable (files: BenchFile[], measure: Measure): Promise<Parameters<Table>> {
  const modes = [['count', 0], ['profile', 0], ['profile', 1], ['profile', 2]] as const
  const rows: Array<Array<string | number>> = []
  for (const file of files) {
    process.stderr.write(`profile bench: threads on ${file.label}\n`)
    const runs: Run[][] = modes.map(() => [])
    for (let i = 0; i < REPEATS; i++) {
      for (const [k, [engine, workers]] of modes.entries()) {
        const result = await measure(engine, file, workers)
        if (result !== undefined) runs[k]!.push(result)
      }
    }
    const medians = runs.map(r => r.length > 0 ? median(r) : undefined)
    const single = medians[1]
    rows.push([file.label, ...medians.map(r => r === undefined ? '-' : `${(file.csvBytes / 1e6 / r.seconds).toFixed(0)} (${r.peakRssMb.toFixed(0)} MB)`),
      ...medians.slice(2).map(r => r === undefined || single === undefined ? '-' : (single.seconds / r.seconds).toFixed(2))])
  }
  return [`Threads (${availableParallelism()} cores here): MB/s (peak RSS) of counting alone and of the profile on the handler's thread, on a thread of its own (PROFILE_WORKERS=1) and in pieces on two (PROFILE_WORKERS=2); speed-up over the handler's thread`,
    ['file', 'counting alone', 'profile, handler\'s thread', 'profile, its own thread', 'profile, pieces on 2 threads', '× its own thread', '× pieces on 2 threads'], rows]
}

/** Profiles each file with each engine and prints the table, then the ratios the issue sets as goals. */
export async function profileBench (table: Table, files: BenchFile[]): Promise<void> {
  const started = performance.now()
  const measurer = await bundleMeasurer(
    // The profile pool's threads load profile-worker.mjs beside the program, as beside the deployed handler.
    { 'measure-profile': here('./measure-profile.ts'), 'profile-worker': here('../../lambda/profile-worker.ts') },
    benchCache(), ['@duckdb/node-api', 'nodejs-polars'])
  // An engine that cannot load is skipped from then on; one that fails on a file is reported for that file.
  const skipped = new Map<Engine, string>()
  const failures: string[] = []
  const measure = async (engine: Engine | 'count', file: BenchFile, workers = 0): Promise<Run | undefined> => {
    if (engine !== 'count' && skipped.has(engine)) return undefined
    try {
      const env = { ...process.env, PROFILE_WORKERS: String(workers) }
      const { stdout } = await run(process.execPath, [measurer, engine, file.path], { maxBuffer: 1 << 20, env })
      return JSON.parse(stdout.trim().split('\n').at(-1)!) as Run
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? err)
      const reason = stderr.split('\n').find(line => /Error/.test(line))?.trim() ?? stderr.split('\n')[0] ?? 'it failed'
      if (engine !== 'count' && /Cannot find (module|package)|ERR_DLOPEN_FAILED/.test(stderr)) skipped.set(engine, reason)
      else failures.push(`${engine} failed on ${file.label}: ${reason}`)
      return undefined
    }
  }
  const rows: Array<Array<string | number>> = []
  const goals: Array<Array<string | number>> = []
  let largeProfileRss: number | undefined
  for (const file of files) {
    process.stderr.write(`profile bench: ${file.label} (${((performance.now() - started) / 1000).toFixed(0)} s in)\n`)
    const repeated: Record<'raw' | 'profile' | 'duckdb', Run[]> = { raw: [], profile: [], duckdb: [] }
    for (let i = 0; i < REPEATS; i++) {
      for (const engine of ['raw', 'profile', 'duckdb'] as const) {
        const result = await measure(engine, file)
        if (result !== undefined) repeated[engine].push(result)
      }
    }
    const results: Partial<Record<Engine, Run>> = Object.fromEntries(Object.entries(repeated).filter(([, runs]) => runs.length > 0).map(([engine, runs]) => [engine, median(runs)]))
    const polars = await measure('polars', file)
    if (polars !== undefined) results.polars = polars
    const rate = (r: Run | undefined) => r === undefined ? undefined : file.csvBytes / 1e6 / r.seconds
    const raw = results.raw
    for (const engine of ENGINES) {
      const r = results[engine]
      if (r === undefined) continue
      const count = r.rows === undefined ? '-' : r.rows === file.rows ? 'exact' : `${r.rows} (not ${file.rows})`
      rows.push([file.label, engine, rate(r)!.toFixed(0), r.peakRssMb.toFixed(0), `${(r.cpuSeconds / r.seconds * 100).toFixed(0)}%`,
        raw === undefined ? '-' : (raw.seconds / r.seconds).toFixed(2), count])
    }
    const ratio = (a: Run | undefined, b: Run | undefined) => a === undefined || b === undefined ? '-' : (b.seconds / a.seconds).toFixed(2)
    goals.push([file.label, ratio(results.profile, raw), ratio(results.profile, results.duckdb), ratio(results.profile, results.polars)])
    if (file === files.at(-1)) largeProfileRss = results.profile?.peakRssMb
  }
  table('Column profile (a local file; each engine its own process, bundled as deployed; raw, profile and DuckDB: median of 3 alternating runs; MB/s of CSV text)',
    ['file', 'engine', 'MB/s', 'peak RSS MB', 'CPU', '÷ raw read', 'rows'], rows)
  table('Column profile against the goals: profile ÷ DuckDB SUMMARIZE ≥ 3 (profile ÷ raw GetObject ≥ 0.5 and counting alone ÷ raw GetObject ≥ 0.9 are in the Extraction table)',
    ['file', 'profile ÷ raw file read', 'profile ÷ DuckDB', 'profile ÷ polars'], goals)
  console.log(`peak RSS of the profile on ${files.at(-1)!.label}: ${largeProfileRss?.toFixed(0) ?? '-'} MB (goal ≤ 150 MB)`)
  table(...await threadsTable(files.filter((_, i) => i === 0 || i === 2), measure))
  for (const [engine, reason] of skipped) {
    console.log(`skipped ${engine}: ${reason}${engine === 'polars' && process.versions.node.startsWith('20.') ? POLARS_ON_NODE_20 : ''}`)
  }
  for (const failure of failures) console.log(failure)
}
