// The bench's measurers as `npm run bench` runs them: bundled like the deployed handler, in a process of their own.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { bundleMeasurer } from '../../../scripts/bench/bundle-measurer.ts'

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

t.test('the profile measurer, bundled with its worker, counts and profiles a file on the threads it is given', async t => {
  const dir = t.testdir({ 'rows.csv': 'id,amount,day\n' + Array.from({ length: 2_000 }, (_, i) => `${i},"${i},${i % 1000}.5",2026-01-0${1 + i % 9}`).join('\n') + '\n' })
  const measurer = await bundleMeasurer({ 'measure-profile': source('../../../scripts/bench/measure-profile.ts'), 'profile-worker': source('../../../lambda/profile-worker.ts') },
    join(dir, 'bundle'), ['@duckdb/node-api', 'nodejs-polars'])
  for (const [mode, workers] of [['count', 0], ['profile', 0], ['profile', 1], ['profile', 2]] as const) {
    const { stdout } = await promisify(execFile)(process.execPath, [measurer, mode, join(dir, 'rows.csv')], { env: { ...process.env, PROFILE_WORKERS: String(workers) } })
    const found = JSON.parse(stdout.trim().split('\n').at(-1)!) as { rows: number, columns: number, seconds: number }
    t.match(found, { rows: 2_000, columns: 3, seconds: Number }, `${mode} with PROFILE_WORKERS=${workers}`)
  }
})
