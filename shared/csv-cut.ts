// Finds where records end in CSV text by counting quotes (cutScan in wasm/csv-scan.as.ts), without finding fields:
// what lets csv-pieces.ts cut a file into pieces at a small fraction of the cost of a counting scan.
import { instantiate, type CsvWasm } from './csv-wasm.ts'

/** One instance for every cutter of this thread: cutScan keeps no state, and each call copies its bytes first. */
let shared: CsvWasm | undefined

export class QuoteCutter {
  /** The text offset just past the last record boundary found (where the cutter started, until it finds one). */
  cut: number
  readonly #quote: number
  /** The text offset of the next byte pushed. */
  #at: number
  /** Whether the bytes so far leave a quoted field open. */
  #inside = false

  /** Cuts the text from offset `at`, which is between records, for this quote character. */
  constructor (quote: string, at: number) {
    this.#quote = quote.charCodeAt(0)
    this.cut = at
    this.#at = at
  }

  /** Reads the text's next bytes. */
  push (bytes: Uint8Array): void {
    const wasm = shared ??= instantiate()
    const room = wasm.room()
    for (let offset = 0; offset < bytes.length; offset += room) {
      const part = bytes.subarray(offset, offset + room)
      new Uint8Array(wasm.memory.buffer, wasm.bufferBase(), part.length).set(part)
      const found = wasm.cutScan(part.length, this.#quote, this.#inside)
      this.#inside = (found & 1) === 1
      if (found >= 0) this.cut = this.#at + (found >> 1)
      this.#at += part.length
    }
  }
}
