// Finds where records end in CSV text by counting quotes (cutScan in wasm/csv-scan.as.ts), without finding fields:
// what lets csv-pieces.ts cut a file into pieces at a small fraction of the cost of a counting scan.
import { instantiate, type CsvWasm } from './csv-wasm.ts'

export class QuoteCutter {
  /** The text offset just past the last record boundary found (where the cutter started, until it finds one). */
  cut: number
  readonly #wasm: CsvWasm
  /** The text offset of the next byte pushed. */
  #at: number

  /** Cuts the text from offset `at`, which is between records, for this quote character. */
  constructor (quote: string, at: number, wasm: CsvWasm = instantiate()) {
    this.#wasm = wasm
    this.#wasm.cutReset(quote.charCodeAt(0))
    this.cut = at
    this.#at = at
  }

  /** Reads the text's next bytes. */
  push (bytes: Uint8Array): void {
    const room = this.#wasm.room()
    for (let offset = 0; offset < bytes.length; offset += room) {
      const part = bytes.subarray(offset, offset + room)
      new Uint8Array(this.#wasm.memory.buffer, this.#wasm.bufferBase(), part.length).set(part)
      const end = this.#wasm.cutScan(part.length)
      if (end >= 0) this.cut = this.#at + end
      this.#at += part.length
    }
  }
}
