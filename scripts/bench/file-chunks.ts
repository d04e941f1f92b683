// A file's bytes in chunks read into a few buffers used over and over, for the profile bench's readers.
import { closeSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { pieceBytesFor } from '../../shared/csv-pieces.ts'

/** Bytes per chunk: more than the extractor's head (64 KiB), so it never holds two chunks at once. */
export const CHUNK_BYTES = 1 << 20

/**
 * The file's bytes, CHUNK_BYTES at a time, one read ahead, into `slots` buffers allocated once and used in turn, as
 * DuckDB's reader reuses its buffers: `createReadStream` allocates a new one per read, and so pays for touching
 * fresh memory on every chunk (2.7 ms per MiB on the bench's machine). A chunk is valid until the consumer has asked
 * for `slots - 1` more, so the consumer must copy what it keeps longer. With three, the sequential extractor is
 * safe: it gathers its first 64 KiB across chunks (one chunk here; chunks of 4 KiB would break it), the scanner
 * copies each chunk into its own memory, and gunzip consumes a chunk before the pipeline reads the next. Pieces
 * for worker threads keep every chunk of a piece until it is cut and copied: give them a piece's worth more.
 */
export async function * fileChunks (path: string, slots = 3, chunkBytes = CHUNK_BYTES): AsyncGenerator<Buffer> {
  const file = await open(path)
  const buffers = Array.from({ length: slots }, () => Buffer.alloc(chunkBytes))
  let slot = 0
  let position = 0
  let pending = file.read(buffers[slot]!, 0, chunkBytes, position)
  try {
    for (;;) {
      const { bytesRead, buffer } = await pending
      if (bytesRead === 0) return
      position += bytesRead
      slot = (slot + 1) % slots
      pending = file.read(buffers[slot]!, 0, chunkBytes, position)
      yield buffer.subarray(0, bytesRead)
    }
  } finally {
    await pending.catch(() => undefined)
    await file.close()
  }
}

/**
 * Buffers enough for the pieces' reader (csv-pieces.ts), which keeps every chunk of a piece until it cuts it; the
 * columns that size a piece are counted on the file's first line (the bench's files are comma-separated, with a
 * plain header).
 */
export function slotsForPieces (path: string, pieceBytes: number): number {
  const head = Buffer.alloc(1 << 16)
  const fd = openSync(path, 'r')
  const text = head.subarray(0, readSync(fd, head)).toString()
  closeSync(fd)
  const columns = text.slice(0, text.indexOf('\n')).split(',').length
  return 3 + Math.ceil(pieceBytesFor(pieceBytes, columns) / CHUNK_BYTES)
}
