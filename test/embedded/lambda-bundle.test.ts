// The embedded runtime's code: the processor byte for byte as `npm run build` deploys it, beside the worker that runs it.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { once } from 'node:events'
import { bundleLambdaCode } from '../../embedded/lambda-bundle.ts'
import { buildProcessor } from '../../scripts/build.ts'

t.test('the processor the embedded stack runs is the one `npm run build` deploys, byte for byte', async t => {
  const dir = t.testdir()
  const [code, deployed] = await Promise.all([bundleLambdaCode(join(dir, 'embedded')), buildProcessor(join(dir, 'dist'))])
  t.equal(code.handlerModule, pathToFileURL(join(dir, 'embedded', 'index.mjs')).href, 'index.mjs, as the handler index.handler names it')
  const embedded = readFileSync(join(dir, 'embedded', 'index.mjs'))
  const bundled = readFileSync(join(deployed.processorDir, 'index.mjs'))
  t.ok(embedded.equals(bundled), `same bytes (${embedded.length} and ${bundled.length}): lambda-bundle.ts and scripts/build.ts agree`)
  t.ok(existsSync(code.worker), 'the worker is bundled beside it')
  const profileWorker = readFileSync(join(dir, 'embedded', 'profile-worker.mjs'))
  t.ok(profileWorker.equals(readFileSync(join(deployed.processorDir, 'profile-worker.mjs'))), 'the profile pool\'s thread is bundled beside both, alike')
  // The handler starts its threads from `./profile-worker` + its own extension: .mjs once bundled.
  t.match(embedded.toString(), /\.\/profile-worker/, 'the handler names the thread\'s file')
  const worker = new Worker(join(deployed.processorDir, 'profile-worker.mjs'))
  const job = { dialect: { delimiter: ',', quote: '"', comment: null }, fields: 2, maxColumns: 10, maxRecordBytes: 1024 }
  worker.postMessage({ job, piece: Buffer.from('1,"a\nb"\n2,c\n') })
  const [answer] = await once(worker, 'message') as [{ result: { rows: number, gaveUp: unknown } }]
  await worker.terminate()
  t.same([answer.result.rows, answer.result.gaveUp], [2, undefined], 'the bundled thread profiles a piece')
})

t.test('with a handler module of its own, only the worker is bundled', async t => {
  const dir = t.testdir()
  const code = await bundleLambdaCode(dir, 'file:///elsewhere/handler.mjs')
  t.equal(code.handlerModule, 'file:///elsewhere/handler.mjs')
  t.ok(existsSync(code.worker))
  t.notOk(existsSync(join(dir, 'index.mjs')))
})
