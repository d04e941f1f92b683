// Child process of the profile bench: reads one CSV file one way and prints {rows, columns, seconds, cpuSeconds,
// peakRssMb} as JSON, so each engine's peak RSS is its own.
// raw, count and profile read the file in 1 MiB chunks into reused buffers (file-chunks.ts), as DuckDB reads it.
//   raw      the file's bytes read (and gunzipped, for .gz, in chunks as large as the extractor's) and dropped: the ceiling for any reader
//   count    the scanner alone in counting-only mode (no field profiled): what the handler's thread does in parallel
//   profile  the product's extractor on the file's chunks: metadata and the profile of every column; with
//            PROFILE_WORKERS=1, scanned on a thread of its own while this one reads; N > 1, pieces profiled by N threads
//   duckdb   DuckDB's SUMMARIZE over read_csv (@duckdb/node-api)
//   polars   polars' readCSV, then describe (nodejs-polars)
import { readFileSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { extractCsvMetadata } from '../../shared/csv-metadata.ts'
import { INFLATE_CHUNK_BYTES } from '../../shared/csv-decode.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'
import { profilerFor } from '../../lambda/profilers.ts'
import { ProfilePool } from '../../lambda/profile-pool.ts'
import { ProfileThread } from '../../lambda/profile-thread.ts'
import { NULL_TOKENS, type FileProfile } from '../../shared/column-profile.ts'
import { sharedHashThread } from '../../shared/hash-thread.ts'
import { countRows } from './count-rows.ts'
import { fileChunks, slotsForPieces } from './file-chunks.ts'

const [mode, path] = process.argv.slice(2) as [string, string]
const gzip = path.endsWith('.gz')

async function measure (): Promise<{ rows: number | undefined, columns: number | undefined }> {
  if (mode === 'raw') {
    const gunzip = gzip ? createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }) : undefined
    const piped = gunzip === undefined ? undefined : pipeline(fileChunks(path), gunzip)
    let bytes = 0
    for await (const chunk of (gunzip ?? fileChunks(path)) as AsyncIterable<Buffer>) bytes += chunk.length
    await piped
    if (bytes === 0) throw new Error(`${path} is empty`)
    return { rows: undefined, columns: undefined }
  }
  if (mode === 'count') {
    const { rows, columns } = await countRows(fileChunks(path))
    return { rows, columns }
  }
  if (mode === 'profile') {
    const slots = profiler instanceof ProfilePool ? slotsForPieces(path, profiler.pieceBytes) : 3
    const metadata: { row_count: number, profile?: FileProfile } = await extractCsvMetadata(() => fileChunks(path, slots), DEFAULT_LIMITS, profiler)
    await profiler?.close()
    return { rows: metadata.row_count, columns: metadata.profile?.columns.length }
  }
  if (mode === 'duckdb') {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    const connection = await (await DuckDBInstance.create(':memory:')).connect()
    const summary = (await connection.runAndReadAll(`SUMMARIZE SELECT * FROM read_csv('${path.replaceAll("'", "''")}')`)).getRowObjectsJson()
    return { rows: Number(summary[0]?.count), columns: summary.length }
  }
  if (mode === 'polars') {
    const { default: pl } = await import('nodejs-polars')
    // readCSV takes a path to a plain file; a gzip file is handed over as its bytes, which polars inflates itself.
    // The product's null tokens are polars' nulls too: without them a column of numbers and `NA` fails to parse.
    const frame = pl.readCSV(gzip ? readFileSync(path) : path, { nullValues: [...NULL_TOKENS] })
    const described = frame.describe()
    return { rows: frame.height, columns: described.width - 1 }
  }
  throw new Error(`unknown mode ${mode}`)
}

// What the processor does once when it starts (aws/process-deps.ts, lambda/handler.ts), before it reads any file.
const profiler = mode === 'profile' ? profilerFor(Number(process.env.PROFILE_WORKERS ?? 0)) : undefined
if (mode === 'profile') await sharedHashThread()?.warm()
if (profiler instanceof ProfileThread) await profiler.warm()
const started = performance.now()
const cpuBefore = process.cpuUsage()
const { rows, columns } = await measure()
const seconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuBefore)
console.log(JSON.stringify({ rows, columns, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024 }))
