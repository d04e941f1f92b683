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

/** An `npm start` running in its own process, as a user starts it. */
export interface Service {
  /** The API's base URL. */
  api: string
  /** The embedded S3 + DynamoDB endpoint. */
  endpoint: string
  /** Seconds from the spawn to the banner. */
  bannerSeconds: number
  /** Stops it (SIGTERM, then waits for its exit). */
  stop: () => Promise<void>
}

/**
 * Runs `npm start`'s command on free ports with its data in `dataDir`; resolves at its banner. `env` adds variables,
 * `nodeFlags` Node options (`--cpu-prof` ones reach the workers too).
 */
export async function startService (dataDir: string, env: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []): Promise<Service> {
  const port = await freePort()
  const embeddedPort = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'embedded/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, STACK: 'embedded', PORT: String(port), EMBEDDED_PORT: String(embeddedPort), DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  }
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
    return { api: `http://127.0.0.1:${port}`, endpoint: `http://127.0.0.1:${embeddedPort}`, bannerSeconds: (bannerAt - started) / 1000, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

async function oneRun (): Promise<ColdStart> {
  const dataDir = mkdtempSync(join(tmpdir(), 'csv-metadata-cold-start-'))
  const service = await startService(dataDir).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  })
  try {
    const cold = await putToProcessed(service.api, 'example.csv')
    const warm = await putToProcessed(service.api, 'warm.csv')
    return { banner: service.bannerSeconds, cold, warm }
  } finally {
    await service.stop()
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
