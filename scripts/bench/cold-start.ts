// `npm run bench`'s cold start: `npm start` in a fresh data folder, its banner, and the first small upload right after it.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../lib/free-port.ts'
import { uploadThroughApi, waitForVerdict } from '../lib/upload.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SAMPLE = readFileSync(join(ROOT, 'sample_data/example.csv'))
const DEADLINE_MS = 60_000

/** Seconds, each the median of the runs. */
export interface ColdStart {
  /** Process spawned → the banner "CSV metadata service is up" printed. */
  banner: number
  /** The first upload right after the banner: its PUT answered → its record no longer `processing`. */
  cold: number
  /** The same for a second small file, once the first is done. */
  warm: number
}

/** Runs `npm start`'s command `runs` times, each on free ports with a fresh DATA_DIR, and returns the medians. */
export async function coldStart (runs = 3): Promise<ColdStart> {
  const results: ColdStart[] = []
  for (let i = 0; i < runs; i++) results.push(await oneRun())
  const median = (pick: (r: ColdStart) => number) => results.map(pick).sort((a, b) => a - b)[Math.floor(runs / 2)]!
  return { banner: median(r => r.banner), cold: median(r => r.cold), warm: median(r => r.warm) }
}

async function oneRun (): Promise<ColdStart> {
  const dataDir = mkdtempSync(join(tmpdir(), 'csv-metadata-cold-start-'))
  const port = await freePort()
  const env = { ...process.env, STACK: 'embedded', PORT: String(port), EMBEDDED_PORT: String(await freePort()), DATA_DIR: dataDir }
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'embedded/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const bannerAt = await new Promise<number>((resolve, reject) => {
      let output = ''
      const timer = setTimeout(() => reject(new Error(`no banner within ${DEADLINE_MS} ms:\n${output}`)), DEADLINE_MS)
      child.stderr.on('data', chunk => { output += chunk })
      child.stdout.on('data', chunk => {
        output += chunk
        if (!output.includes('CSV metadata service is up')) return
        clearTimeout(timer)
        resolve(performance.now())
      })
      child.once('exit', code => reject(new Error(`npm start exited (${code}) before its banner:\n${output}`)))
    })
    const api = `http://127.0.0.1:${port}`
    const cold = await putToProcessed(api, 'example.csv')
    const warm = await putToProcessed(api, 'warm.csv')
    return { banner: (bannerAt - started) / 1000, cold, warm }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Seconds from the PUT of the sample file being answered to its record leaving `processing`. */
async function putToProcessed (api: string, filename: string): Promise<number> {
  const putDone = await uploadThroughApi(api, filename, SAMPLE)
  const file = await waitForVerdict(api, filename, { timeoutMs: DEADLINE_MS, intervalMs: 5 })
  const processedAt = performance.now()
  if (file.status !== 'processed') throw new Error(`${filename} ended ${file.status}`)
  return (processedAt - putDone) / 1000
}
