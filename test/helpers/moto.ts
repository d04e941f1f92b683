// moto's server as a second, independent AWS emulator (S3, DynamoDB, ...), started on a free port for one test.
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { freePort, waitFor } from './stack.ts'

/** moto takes any credentials; clients get these explicitly rather than from the SDK's chain (the environment). */
export const MOTO_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' }

/** Why moto cannot be used here, or undefined when it can. In CI a missing moto is an error, not a skip. */
export async function motoMissing (): Promise<string | undefined> {
  const found = await promisify(execFile)('python3', ['-c', 'import moto.server']).then(() => true, () => false)
  if (found) return undefined
  if (process.env.CI === 'true') throw new Error('moto is required in CI: pip install "moto[server]"')
  return 'moto is not installed (pip install "moto[server]" to run this test)'
}

/** Starts `python3 -m moto.server` and returns its endpoint; stopped when the test ends. */
export async function startMoto (t: Test): Promise<string> {
  const port = await freePort()
  const server = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
  t.teardown(() => { server.kill() })
  const endpoint = `http://127.0.0.1:${port}`
  await waitFor(async () => (await fetch(`${endpoint}/moto-api/`).catch(() => undefined))?.ok || undefined, 30_000, 'moto to start')
  return endpoint
}
