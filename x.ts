import { readFileSync } from 'node:fs'
import { isUtf8 } from 'node:buffer'
import { CsvScanner } from './shared/csv-scan.ts'
const all = readFileSync('/tmp/big.csv')
const chunks: Buffer[] = []
for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536))
const time = (name: string, f: () => unknown) => { const t0 = performance.now(); const r = f(); const s = (performance.now() - t0) / 1000; console.log(name, (all.length / 1e6 / s).toFixed(0), 'MB/s', r) }
for (let k = 0; k < 2; k++) {
time('isUtf8', () => { let ok = true; for (const c of chunks) ok &&= isUtf8(c); return ok })
time('indexOf0', () => { let n = 0; for (const c of chunks) n += c.indexOf(0); return n })
time('scanner', () => { const s = new CsvScanner(1e9); for (const c of chunks) s.push(c); s.end(); return s.rows })
time('count-specials', () => { let n = 0; for (const c of chunks) for (let i = 0; i < c.length; i++) if (c[i]! <= 0x2c) n++; return n })
}
