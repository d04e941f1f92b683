// Production bundles hold only what they run: no emulator or extractor in the server and the API function, no SDK in the webhook sender.
import t from 'tap'
import { bundleContents } from '../../scripts/build.ts'

const EMULATORS = ['s3rver', 'dynalite', 'classic-level', 'level', 'leveldown', 'abstract-level', 'busboy', 'dicer']
const EXTRACTOR = ['csv-parse']
const EXTRACTOR_FILES = ['shared/csv-scan.ts', 'shared/csv-metadata.ts', 'shared/csv-decode.ts', 'shared/csv-dialect.ts', 'shared/csv-profile.ts', 'shared/csv-wasm.ts', 'shared/wasm/csv-scan-wasm.ts']

for (const bundle of ['server', 'apiFunction'] as const) {
  t.test(`${bundle}: no emulator, LevelDB, csv-parse or WebAssembly scanner`, async t => {
    const { files, packages } = await bundleContents(bundle)
    t.ok(files.includes('api/app.ts'), 'the bundle was read (it holds the app)')
    for (const name of [...EMULATORS, ...EXTRACTOR]) t.notOk(packages.includes(name), `no ${name}`)
    for (const file of EXTRACTOR_FILES) t.notOk(files.includes(file), `no ${file}`)
    t.notOk(files.some(file => file.startsWith('embedded/') && file !== 'embedded/config.ts'), 'nothing of the embedded stack but its settings')
  })
}

t.test('the processor carries the extractor and its scanner, and no HTTP framework', async t => {
  const { files, packages } = await bundleContents('processor')
  for (const file of EXTRACTOR_FILES) t.ok(files.includes(file), file)
  t.ok(packages.includes('csv-parse'))
  for (const name of ['fastify', ...EMULATORS]) t.notOk(packages.includes(name), `no ${name}`)
})

t.test('the webhook sender sends HTTP requests and logs: no AWS SDK, no extractor, no HTTP framework', async t => {
  const { files, packages } = await bundleContents('webhookSender')
  t.ok(files.includes('shared/webhooks.ts'), 'the bundle was read (it holds the webhook core)')
  t.notOk(packages.some(name => name.startsWith('@aws-sdk/') || name.startsWith('@smithy/')), 'no AWS SDK')
  for (const name of ['fastify', 'csv-parse', ...EMULATORS]) t.notOk(packages.includes(name), `no ${name}`)
  for (const file of EXTRACTOR_FILES) t.notOk(files.includes(file), `no ${file}`)
})
