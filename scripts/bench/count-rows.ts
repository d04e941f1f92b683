// Counting alone, for the bench's measurers: the scanner in its counting-only mode over a byte stream, no field profiled.
import { detectDialect } from '../../shared/csv-dialect.ts'
import { CsvScanner } from '../../shared/csv-scan.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'

/** The data rows, header fields and bytes of a CSV stream, its dialect sniffed from the first chunk. */
export async function countRows (chunks: AsyncIterable<Uint8Array>): Promise<{ rows: number, columns: number, bytes: number }> {
  let scanner: CsvScanner | undefined
  let bytes = 0
  for await (const chunk of chunks) {
    bytes += chunk.length
    scanner ??= new CsvScanner(DEFAULT_LIMITS.maxRecordBytes, detectDialect(Buffer.from(chunk), false).dialect, { maxColumns: DEFAULT_LIMITS.maxColumns, firstIsData: false, countOnly: true })
    scanner.push(chunk)
  }
  if (scanner === undefined) throw new Error('nothing to count: the stream is empty')
  scanner.end()
  return { rows: scanner.rows, columns: scanner.headerFields, bytes }
}
