// The scanner and profiler's WebAssembly module (wasm/csv-scan.as.ts, wasm/csv-profile.as.ts): compiled once,
// one instance per file being read, with the one import it calls (a number too long for its exact fast path).
import { CSV_SCAN_WASM } from './wasm/csv-scan-wasm.ts'

export interface CsvWasm {
  memory: WebAssembly.Memory
  bufferBase: () => number
  reset: (maxRecordBytes: number, delimiter: number, quote: number, comment: number, maxColumns: number, firstIsData: boolean) => void
  prepare: () => number
  room: () => number
  scan: (added: number) => number
  finish: () => number
  takeRows: () => number
  headerFields: () => number
  headerBytes: () => number
  blanks: () => number
  headerBlanks: () => number
  cut: () => number
  countOnly: () => void
  expect: (fields: number, afterCr: boolean) => void
  profileColumns: (count: number) => void
  columnsBase: () => number
  columnStride: () => number
  distinctBound: () => number
  sketchBits: () => number
  samplesBase: () => number
  takeSamples: () => number
  valueAt: (bytes: number) => number
  profileValue: (column: number, bytes: number) => number
  cutScan: (bytes: number, quote: number, inside: boolean) => number
}

const wasmModule = new WebAssembly.Module(Buffer.from(CSV_SCAN_WASM, 'base64'))

export function instantiate (): CsvWasm {
  // Only reached for text the profiler already knows is a decimal number, read with a point or (`comma`) a comma as
  // its decimal mark, anything else grouping thousands: JavaScript's parse of it without the groups rounds it exactly.
  const parseNumber = (at: number, length: number, comma: number) => {
    const text = Buffer.from(wasm.memory.buffer, at, length).toString('latin1')
    return Number(comma !== 0 ? text.replace(/[^\d,eE+-]/g, '').replace(',', '.') : text.replace(/[^\d.eE+-]/g, ''))
  }
  const wasm = new WebAssembly.Instance(wasmModule, { env: { parseNumber } }).exports as unknown as CsvWasm
  return wasm
}

/** Instances whose file is done, kept for the next: their memory is already grown and touched. */
const idle: CsvWasm[] = []
const IDLE_MAX = 2

/**
 * An instance no other read is using: a returned one when there is one, else a new one. Reusing one saves its
 * creation and, on a machine slow to touch new memory, milliseconds per small file (its buffer and tables).
 */
export function borrowInstance (): CsvWasm {
  return idle.pop() ?? instantiate()
}

/** Gives back an instance whose state has been read out; beyond a few idle ones, it is left to the collector. */
export function returnInstance (wasm: CsvWasm): void {
  if (idle.length < IDLE_MAX && !idle.includes(wasm)) idle.push(wasm)
}
