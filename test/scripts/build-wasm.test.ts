// The committed WebAssembly module is the one its AssemblyScript source compiles to.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { MODULE_PATH, wasmModuleSource } from '../../scripts/build-wasm.ts'

t.test('shared/wasm/csv-scan-wasm.ts is up to date (run `npm run build:wasm` after changing csv-scan.as.ts)', async t => {
  t.equal(readFileSync(MODULE_PATH, 'utf8'), await wasmModuleSource())
})
