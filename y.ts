import { readFileSync } from 'node:fs'
const all = readFileSync(process.argv[2]!)
const chunks: Buffer[] = []
for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536))
const T = new Uint8Array(256); T[0x2c] = T[0x22] = T[0x0a] = T[0x0d] = 1
function cmp (buf: Buffer) { let n = 0, i = 0; const len = buf.length; while (i < len) { let c = buf[i]!; while (c > 0x2c && ++i < len) c = buf[i]!; if (i === len) break; if (c === 0x2c || c === 0x0a) n++; i++ } return n }
function tab (buf: Buffer) { let n = 0, i = 0; const len = buf.length; while (i < len) { let c = buf[i]!; while (T[c] === 0 && ++i < len) c = buf[i]!; if (i === len) break; n++; i++ } return n }
for (let k = 0; k < 3; k++) for (const [name, f] of [['cmp', cmp], ['tab', tab]] as const) { const t0 = performance.now(); let n = 0; for (const c of chunks) n += f(c); console.log(name, (all.length / 1e6 / ((performance.now() - t0) / 1000)).toFixed(0), n) }
