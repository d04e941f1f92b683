// The SHA-256 of an object as stored (before decompression), computed as the extractor reads it, in the same pass.
import { createHash, type Hash } from 'node:crypto'
import type { ByteSource } from './csv-decode.ts'

export interface HashedOpen {
  /** Opens the object as `open` does, hashing its bytes as they are read. */
  open: () => Promise<ByteSource>
  /** The hex digest of the bytes of the last object opened; call once that read has reached the end. */
  sha256: () => string
}

export function hashingOpen (open: () => ByteSource | Promise<ByteSource>): HashedOpen {
  let hash: Hash | undefined
  return {
    open: async () => {
      const current = createHash('sha256')
      hash = current
      return hashed(await open(), current)
    },
    sha256: () => hash!.digest('hex')
  }
}

async function * hashed (source: ByteSource, hash: Hash): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    hash.update(chunk)
    yield chunk
  }
}
