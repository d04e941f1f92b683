// `npm run bench`'s ranged-read table: one large object read by the handler as one GetObject stream and as K parallel
// byte ranges, straight from the embedded S3 (memory speed) and through a proxy capping each connection at 64 MB/s.
import { execFile } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { createDynamoDBClient, createS3Client } from '../../aws/clients.ts'
import { ensureTable } from '../../aws/provision.ts'
import { startAwsEmulator } from '../../embedded/aws-emulator.ts'
import { EMBEDDED_CREDENTIALS, type EmbeddedConfig } from '../../embedded/config.ts'
import { processorEnvironment } from '../../infra/pipeline.ts'
import { startThrottlingProxy } from '../lib/throttling-proxy.ts'
import { bundleMeasurer } from './bundle-measurer.ts'
import { generateCsv } from './generate-csv.ts'
import type { Table } from './profile-bench.ts'

const run = promisify(execFile)
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** One S3 GET stream gives a Lambda roughly 50–90 MB/s (AWS's published figures): the proxy's cap per connection. */
const STREAM_BYTES_PER_SECOND = 64e6
/** S3_READ_CONCURRENCY values compared; 1 is one GetObject stream. */
const CONCURRENCIES = [1, 2, 4, 8]

/**
 * Raw reads of each K straight from the embedded S3, alternating, median kept: they are short and swing with the
 * machine's load. The handler runs once per K (it takes longer), and through the proxy the cap sets the pace.
 */
const RAW_DIRECT_ROUNDS = 3

interface Run { bytes: number, rows?: number, seconds: number, cpuSeconds: number, peakRssMb: number }

function median (runs: Run[]): Run {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!
}
interface Options { config: EmbeddedConfig, workDir: string, megabytes: number }

/** Every (read, K) pair measured once against each endpoint, the reader in a bundled process of its own. */
export async function rangedReadBench (table: Table, { config, workDir, megabytes }: Options): Promise<void> {
  const started = performance.now()
  const measurer = await bundleMeasurer({ 'measure-extraction': here('./measure-extraction.ts') }, workDir)
  const credentials = config.credentials ?? EMBEDDED_CREDENTIALS
  const emulator = await startAwsEmulator({ host: '127.0.0.1', port: config.embeddedPort, dataDir: config.dataDir, buckets: [config.bucketName], credentials, onS3Event: () => {} })
  const proxy = await startThrottlingProxy(emulator.endpoint, STREAM_BYTES_PER_SECOND)
  await ensureTable(createDynamoDBClient(config), config.tableName)
  const path = join(workDir, `bench-${megabytes}MB.csv`)
  const file = await generateCsv(path, megabytes)
  const key = `ranged-${megabytes}MB.csv`
  await createS3Client(config).send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: createReadStream(path), ContentLength: file.bytes }))
  process.stderr.write(`ranged reads: ${key}, ${file.bytes} bytes\n`)
  const load = loadavg()[0]!
  const measure = async (mode: string, endpoint: string, concurrency: number): Promise<Run> => {
    const env = {
      ...process.env,
      ...processorEnvironment(config),
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      S3_RANGE_BYTES: String(config.s3RangeBytes),
      S3_READ_CONCURRENCY: String(concurrency)
    }
    const { stdout } = await run(process.execPath, [measurer, mode, key], { env, maxBuffer: 1 << 20 })
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Run
  }
  const rows: Array<Array<string | number>> = []
  try {
    for (const mode of ['raw', 'extractor']) {
      const direct = new Map(CONCURRENCIES.map(k => [k, [] as Run[]]))
      for (let round = 0; round < (mode === 'raw' ? RAW_DIRECT_ROUNDS : 1); round++) {
        for (const k of CONCURRENCIES) direct.get(k)!.push(await measure(mode, emulator.endpoint, k))
      }
      const runs = []
      for (const concurrency of CONCURRENCIES) {
        runs.push({ concurrency, direct: median(direct.get(concurrency)!), proxied: await measure(mode, proxy.endpoint, concurrency) })
      }
      const rate = (r: Run) => r.bytes / 1e6 / r.seconds
      const [single] = runs
      for (const { concurrency, direct, proxied } of runs) {
        const exact = mode === 'raw' ? '-' : [direct, proxied].every(r => r.rows === file.rows) ? 'exact' : `WRONG (${direct.rows}, ${proxied.rows} != ${file.rows})`
        rows.push([
          mode === 'raw' ? 'raw read' : 'the handler (read → metadata and profile → DynamoDB)',
          concurrency === 1 ? 'one stream' : `${concurrency} ranges`,
          rate(direct).toFixed(0), (rate(direct) / rate(single!.direct)).toFixed(2),
          `${(direct.cpuSeconds / direct.seconds * 100).toFixed(0)}%`, direct.peakRssMb.toFixed(0),
          rate(proxied).toFixed(0), (rate(proxied) / rate(single!.proxied)).toFixed(2),
          `${(proxied.cpuSeconds / proxied.seconds * 100).toFixed(0)}%`,
          exact
        ])
      }
    }
  } finally {
    await proxy.close()
    await emulator.close()
  }
  table(`Ranged reads (${(file.bytes / 1e6).toFixed(0)} MB object in ranges of ${config.s3RangeBytes / 1024 / 1024} MiB, S3_READ_CONCURRENCY at a time; each run its own process; ` +
    `raw read from the embedded S3: median of ${RAW_DIRECT_ROUNDS} alternating runs, otherwise one run; load average ${load.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end; ` +
    `${((performance.now() - started) / 1000).toFixed(0)} s in all)`,
  ['read', 'S3_READ_CONCURRENCY', 'embedded S3: MB/s', '÷ one stream', 'CPU of the reader', 'peak RSS MB',
    `${STREAM_BYTES_PER_SECOND / 1e6} MB/s a connection: MB/s`, '÷ one stream', 'CPU of the reader', 'row count'], rows)
}
