// Starts the real embedded stack (and optionally the API) on free ports in a temporary folder, for one test.
import type { Test } from 'tap'
import { loadEmbeddedConfig, type EmbeddedConfig, type EmbeddedSettings } from '../../embedded/config.ts'
import type { Static } from 'typebox'
import { startEmbeddedStack, type EmbeddedStack, type RuntimeOptions } from '../../embedded/stack.ts'
import { startAwsEmulator } from '../../embedded/aws-emulator.ts'
import { createDocumentClient, createDynamoDBClient, createS3Client } from '../../aws/clients.ts'
import { ensureTable } from '../../aws/provision.ts'
import { MetadataTable } from '../../aws/metadata-table.ts'
import { freePort } from '../../scripts/lib/free-port.ts'
import { dataDirectory } from './data-dir.ts'

export { freePort }

export interface TestStack {
  config: EmbeddedConfig
  stack: EmbeddedStack
  table: MetadataTable
  s3: ReturnType<typeof createS3Client>
}

/**
 * One Lambda worker process, where `npm start` has two: a test's stack processes a few files, and each worker is a
 * process to start (0.6-0.7 CPU-s under coverage, 92 of them in the suite). Tests of concurrency ask for more.
 */
export function testConfig (overrides: Partial<Static<typeof EmbeddedSettings>> = {}): EmbeddedConfig {
  return loadEmbeddedConfig({}, { port: 0, logLevel: 'silent', lambdaConcurrency: 1, ...overrides })
}

/** The port an endpoint URL names. */
const portOf = (endpoint: string) => Number(new URL(endpoint).port)

/**
 * The embedded stack with its data in a fresh folder; closed when the test ends. Its port is the one the system
 * chooses as it listens (0), unless `overrides` names one: a port picked free beforehand can be taken by another
 * test's connection before the stack binds it.
 */
export async function startTestStack (t: Test, overrides: Partial<Static<typeof EmbeddedSettings>> = {}, runtime: RuntimeOptions = {}): Promise<TestStack> {
  const settings = { embeddedPort: 0, dataDir: dataDirectory(t), ...overrides }
  const stack = await startEmbeddedStack(testConfig(settings), { output: 'ignore', retryDelaysMs: [50, 100], ...runtime })
  t.teardown(() => stack.close())
  const config = testConfig({ ...settings, embeddedPort: portOf(stack.endpoint) })
  await stack.caughtUp
  return {
    config,
    stack,
    table: new MetadataTable(createDocumentClient(config), config.tableName),
    s3: createS3Client(config)
  }
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T> (check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Only the emulators, with the bucket and table provisioned and no event delivery: for testing the handler itself. */
export async function startEmulator (t: Test): Promise<Omit<TestStack, 'stack'>> {
  const dataDir = dataDirectory(t)
  const emulator = await startAwsEmulator({ host: '127.0.0.1', port: 0, dataDir, buckets: [testConfig().bucketName], onS3Event: () => {} })
  t.teardown(() => emulator.close())
  const config = testConfig({ embeddedPort: portOf(emulator.endpoint), dataDir })
  await ensureTable(createDynamoDBClient(config), config.tableName)
  return {
    config,
    table: new MetadataTable(createDocumentClient(config), config.tableName),
    s3: createS3Client(config)
  }
}
