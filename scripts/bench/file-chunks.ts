// A file's bytes in chunks read into a few buffers used over and over, for the profile bench's readers.
import { open } from 'node:fs/promises'

/** Buffers in turn: one being read into while the chunk before is used, and one more for a consumer that lags. */
const SLOTS = 3

/** Bytes per chunk: more than the extractor's head (64 KiB), so it never holds two chunks at once. */
export const CHUNK_BYTES = 1 << 20

/**
 * The file's bytes, `chunkBytes` at a time, one read ahead. A chunk is valid until the consumer asks for the one
 * two after it: each is read into one of three buffers allocated once, as DuckDB's reader reuses its buffers, where
 * `createReadStream` allocates a new one per read and so pays for touching fresh memory on every chunk (2.7 ms per
 * MiB on the bench's machine). Every consumer here copies what it keeps before asking for more: the extractor
 * gathers its first 64 KiB across chunks (one chunk of CHUNK_BYTES; chunks of 4 KiB would break it), the scanner
 * copies each chunk into its own memory, gunzip consumes a chunk before the pipeline reads the next.
 */
export async function * fileChunks (path: string, chunkBytes = CHUNK_BYTES): AsyncGenerator<Buffer> {
  const file = await open(path)
  const buffers = Array.from({ length: SLOTS }, () => Buffer.alloc(chunkBytes))
  let slot = 0
  let position = 0
  let pending = file.read(buffers[slot]!, 0, chunkBytes, position)
  try {
    for (;;) {
      const { bytesRead, buffer } = await pending
      if (bytesRead === 0) return
      position += bytesRead
      slot = (slot + 1) % SLOTS
      pending = file.read(buffers[slot]!, 0, chunkBytes, position)
      yield buffer.subarray(0, bytesRead)
    }
  } finally {
    await pending.catch(() => undefined)
    await file.close()
  }
}
