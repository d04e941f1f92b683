// Cuts bytes into chunks at chosen offsets, as a stream might deliver them: the chunk-split half of the differential tests.

/** Splits `bytes` at the given offsets (each taken modulo the length + 1; repeats and empty chunks dropped). */
export function split (bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let start = 0
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(bytes.subarray(start, point))
    start = Math.max(start, point)
  }
  return chunks
}
