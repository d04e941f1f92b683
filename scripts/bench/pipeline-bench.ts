// `npm run bench`'s pipeline table: PUT answered → final status readable through GET /files/{name} on an `npm start`
// in its own process, next to a raw GetObject of the same object in the same run, per file shape, warm and cold.
//   node --import tsx scripts/bench/pipeline-bench.ts --large-mb 200 --small 200 [--shapes quoted,wide] [--profile DIR]
import { mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { createS3Client } from '../../aws/clients.ts'
import { EMBEDDED_CREDENTIALS, loadEmbeddedConfig } from '../../embedded/config.ts'
import { putUpload, requestUpload, waitForVerdict, waitForVerdicts } from '../lib/upload.ts'
import { startService } from './cold-start.ts'
import { generateCsv, writeCsvOnce } from './generate-csv.ts'

/** A file shape: a header and the i-th row (both with their line break). The bench generator's shape writes its own files. */
interface Shape { name: string, header: string, row: (i: number) => string }

/** A spread of numbers that looks random and is the same in every run. */
const mix = (i: number, range: number) => (Math.imul(i + 1, 2654435761) >>> 0) % range

const SHAPES: Shape[] = [
  { name: 'generator', header: '', row: () => '' },
  {
    name: 'quoted',
    header: 'id,customer,remark,amount\n',
    row: i => `${i},"Customer ${mix(i, 50000)}, Inc.","said ""ok"" on day ${mix(i, 28)}",${mix(i, 1e6) / 100}\n`
  },
  {
    name: 'wide',
    header: Array.from({ length: 500 }, (_, c) => `c${c}`).join(',') + '\n',
    row: i => Array.from({ length: 500 }, (_, c) => (i * 31 + c * 7) % 1000).join(',') + '\n'
  },
  { name: 'narrow', header: 'id,value\n', row: i => `${i},${mix(i, 1000)}\n` },
  {
    name: 'multiline',
    header: 'id,address,amount\n',
    row: i => `${i},"${mix(i, 9999)} Main Street\nFloor ${mix(i, 40)}\nSpringfield",${mix(i, 1e6) / 100}\n`
  }
]

/** The shape's rows until about `bytes` bytes, as a string. */
function shapeText (shape: Shape, bytes: number, firstRow = 0): string {
  let text = shape.header
  for (let i = firstRow; text.length < bytes; i++) text += shape.row(i)
  return text
}

/** Writes a file of about `megabytes` MB of the shape to `path` (reused when already written); its size in bytes. */
async function writeShape (path: string, shape: Shape, megabytes: number): Promise<number> {
  if (shape.name === 'generator') return (await generateCsv(path, megabytes)).bytes
  return (await writeCsvOnce(path, shape.header, megabytes * 1024 * 1024, i => shape.row(i - 1))).bytes
}

/** A small file of the shape, different for each `n`. */
function smallFile (shape: Shape, n: number, bytes: number, generatorSample: string): string {
  if (shape.name !== 'generator') return shapeText(shape, bytes, n * 1000)
  // The bench generator's rows, cut after a whole row: a line break inside its quoted fields is followed by "follow-up".
  let cut = generatorSample.indexOf('\n', bytes + n)
  while (!/\d/.test(generatorSample[cut + 1] ?? '')) cut = generatorSample.indexOf('\n', cut + 1)
  return generatorSample.slice(0, cut + 1)
}

export interface PipelineOptions {
  workDir: string
  /** Size of the large file of each shape. */
  largeMb: number
  /** How many small files of each shape are PUT at once. */
  smallFiles: number
  smallKb: number
  /** Rounds of (PUT → processed, raw GET) on the large file; the median of each is kept. */
  rounds: number
  shapes?: string[]
  /** Node options of the `npm start` process; `--cpu-prof` ones reach its workers too. */
  nodeFlags?: string[]
  log?: (line: string) => void
}

export interface PipelineRow {
  shape: string
  largeMb: number
  /** The large file: PUT answered → final status through the API, and a raw GetObject of it; medians, seconds. */
  large: { pipeline: number, raw: number }
  /** The large file's processed_at − upload_timestamp (S3's event time): event delivery and the handler, median, seconds. */
  handler: number
  /** Small files PUT at once: per-file p50 and p99 of PUT answered → final status; raw GETs of them all at once, p50. */
  small: { count: number, p50: number, p99: number, rawP50: number, total: number, rawTotal: number }
  /** Right after the banner of a fresh `npm start`: the first small file, PUT answered → final status. */
  cold: number
  /** The banner of that start, seconds from the spawn. */
  banner: number
}

/**
 * Polling is load on the process being measured (the API, S3 and DynamoDB share it): one GetItem per poll of a file,
 * a Query of every record per poll of the listing. These pauses keep that load small and the error under 5%.
 */
const POLL_ONE_MS = 20
const POLL_LIST_MS = 50

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p / 100 * values.length))]!

/** Every shape on a fresh `npm start` of its own: the cold small file first, then the small batch, then the large file. */
export async function pipelineBench (options: PipelineOptions): Promise<PipelineRow[]> {
  const log = options.log ?? (() => {})
  const shapes = SHAPES.filter(s => options.shapes === undefined || options.shapes.includes(s.name))
  const generatorSample = readFileSync(join(options.workDir, 'bench-small.csv'), 'utf8')
  const rows: PipelineRow[] = []
  for (const shape of shapes) {
    const path = join(options.workDir, `pipeline-${shape.name}-${options.largeMb}MB.csv`)
    log(`pipeline ${shape.name}: writing ${path} ... `)
    const bytes = await writeShape(path, shape, options.largeMb)
    const dataDir = mkdtempSync(join(options.workDir, 'pipeline-data-'))
    try {
      log('starting npm start ... ')
      const service = await startService(dataDir, {}, options.nodeFlags)
      try {
        const { awsRegion, bucketName } = loadEmbeddedConfig()
        const s3 = createS3Client({ awsRegion, awsEndpoint: service.endpoint, credentials: EMBEDDED_CREDENTIALS })
        const rawGet = async (key: string) => {
          const started = performance.now()
          const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }))
          let read = 0
          for await (const chunk of Body as AsyncIterable<Uint8Array>) read += chunk.length
          return { seconds: (performance.now() - started) / 1000, read }
        }
        const untilVerdict = async (filename: string, body: string | Blob, contentLength?: number) => {
          const ticket = await requestUpload(service.api, filename, contentLength)
          const putDone = await putUpload(ticket, body)
          const file = await waitForVerdict(service.api, filename, { timeoutMs: 300_000, intervalMs: POLL_ONE_MS })
          if (file.status !== 'processed') throw new Error(`${filename} ended ${file.status}: ${JSON.stringify(file.error)}`)
          return { seconds: (performance.now() - putDone) / 1000, file }
        }

        log('cold ... ')
        const cold = (await untilVerdict('cold.csv', smallFile(shape, 0, options.smallKb * 1024, generatorSample))).seconds

        log(`${options.smallFiles} small ... `)
        const names = Array.from({ length: options.smallFiles }, (_, i) => `small-${i}.csv`)
        const tickets = await Promise.all(names.map(name => requestUpload(service.api, name)))
        const putAt = new Map<string, number>()
        const seenAt = new Map<string, number>()
        const smallStarted = performance.now()
        await Promise.all(tickets.map(async (ticket, i) => {
          putAt.set(ticket.filename, await putUpload(ticket, smallFile(shape, i + 1, options.smallKb * 1024, generatorSample)))
        }))
        await waitForVerdicts(service.api, names, { timeoutMs: 300_000, intervalMs: POLL_LIST_MS, onVerdict: file => seenAt.set(file.filename, performance.now()) })
        const smallTotal = (Math.max(...seenAt.values()) - smallStarted) / 1000
        const latencies = names.map(n => (seenAt.get(n)! - putAt.get(n)!) / 1000)
        const rawStarted = performance.now()
        const rawSmall = await Promise.all(names.map(name => rawGet(name)))
        const rawTotal = (performance.now() - rawStarted) / 1000

        const runs: Array<{ pipeline: number, raw: number, handler: number }> = []
        for (let round = 0; round < options.rounds; round++) {
          log(`large ${round + 1}/${options.rounds} ... `)
          const name = `large-${round}.csv`
          const { seconds, file } = await untilVerdict(name, await openAsBlob(path), bytes)
          const raw = await rawGet(name)
          if (raw.read !== bytes) throw new Error(`raw GET of ${name} read ${raw.read} bytes, not ${bytes}`)
          runs.push({ pipeline: seconds, raw: raw.seconds, handler: Date.parse(file.processed_at ?? '') - Date.parse(file.upload_timestamp) })
        }
        log('done\n')
        rows.push({
          shape: shape.name,
          largeMb: bytes / 1e6,
          large: { pipeline: median(runs.map(r => r.pipeline)), raw: median(runs.map(r => r.raw)) },
          handler: median(runs.map(r => r.handler)) / 1000,
          small: { count: names.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), rawP50: percentile(rawSmall.map(r => r.seconds), 50), total: smallTotal, rawTotal },
          cold,
          banner: service.bannerSeconds
        })
      } finally {
        await service.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  return rows
}

/** The bench generator's sample for small files: written once, read by every run. */
export async function prepareSmallSample (workDir: string): Promise<void> {
  await generateCsv(join(workDir, 'bench-small.csv'), 0.25)
}

/** The table `npm run bench` prints: a title, its head and its rows. */
export function pipelineTable (rows: PipelineRow[], options: Pick<PipelineOptions, 'smallKb' | 'rounds'>): { title: string, head: string[], rows: string[][] } {
  const s = (seconds: number) => `${seconds.toFixed(2)} s`
  const ms = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms`
  return {
    title: 'Pipeline on `npm start` (own process, LAMBDA_CONCURRENCY=2): PUT answered → final status through GET /files/{name}, ' +
      `vs a raw GetObject of the same object in the same run (large: median of ${options.rounds}; ratio = raw ÷ pipeline)`,
    head: ['shape', 'large file', 'PUT → processed', 'of which the handler', 'raw GET', 'ratio', `small files (${options.smallKb} KB) at once: p50 / p99`, 'raw GET p50', 'all small: pipeline / raw', 'right after start: first small file'],
    rows: rows.map(r => [
      r.shape, `${r.largeMb.toFixed(0)} MB`, s(r.large.pipeline), s(r.handler), s(r.large.raw), (r.large.raw / r.large.pipeline).toFixed(2),
      `${r.small.count}: ${ms(r.small.p50)} / ${ms(r.small.p99)}`, ms(r.small.rawP50), `${s(r.small.total)} / ${s(r.small.rawTotal)}`, ms(r.cold)
    ])
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      'large-mb': { type: 'string', default: '200' },
      small: { type: 'string', default: '200' },
      rounds: { type: 'string', default: '3' },
      shapes: { type: 'string' },
      profile: { type: 'string' }
    }
  })
  const workDir = join(tmpdir(), 'csv-metadata-bench')
  mkdirSync(workDir, { recursive: true })
  await prepareSmallSample(workDir)
  const options = {
    workDir,
    largeMb: Number(values['large-mb']),
    smallFiles: Number(values.small),
    smallKb: 10,
    rounds: Number(values.rounds),
    shapes: values.shapes?.split(','),
    nodeFlags: values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`],
    log: (line: string) => process.stderr.write(line)
  }
  const rows = await pipelineBench(options)
  console.log(JSON.stringify(rows, null, 1))
  const { title, head, rows: cells } = pipelineTable(rows, options)
  console.log(title + '\n' + [head, ...cells].map(r => '| ' + r.join(' | ') + ' |').join('\n'))
}
