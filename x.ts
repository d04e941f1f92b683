import { readFileSync } from 'node:fs'
import { isUtf8 } from 'node:buffer'
import { CsvScanner } from './shared/csv-scan.ts'
import { extractCsvMetadata } from './shared/csv-metadata.ts'
const all = readFileSync(process.argv[2]!)
const chunks: Buffer[] = []
for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536))
const time = async (name: string, f: () => unknown) => { const t0 = performance.now(); const r = await f(); const s = (performance.now() - t0) / 1000; console.log(name, (all.length / 1e6 / s).toFixed(0), 'MB/s', typeof r === 'object' ? (r as any).row_count : r) }
for (let k = 0; k < 3; k++) {
await time('scanner', () => { const s = new CsvScanner(1e9); for (const c of chunks) s.push(c); s.end(); return s.rows })
await time('extractor', () => extractCsvMetadata(() => chunks))
await time('count-specials', () => { let n = 0; for (const c of chunks) for (let i = 0; i < c.length; i++) if (c[i]! <= 0x2c) n++; return n })
}
