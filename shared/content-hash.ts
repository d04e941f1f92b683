// The SHA-256 of an object as stored (before decompression), computed as the extractor reads it, in the same pass.
import { createHash } from 'node:crypto'
import type { ByteSource } from './csv-decode.ts'
import { sharedHashThread, type HashThread } from './hash-thread.ts'

export interface HashedOpen {
  /** Opens the object as `open` does, hashing its bytes as they are read. */
  open: () => Promise<ByteSource>
  /** The hex digest of the bytes of the last object opened; call once that read has reached the end. */
  sha256: () => Promise<string>
  /** Frees what the last open's hash holds, when its digest is not wanted (call after `sha256`, or instead). */
  close: () => void
}

interface Hash { update: (bytes: Uint8Array) => unknown, digest: () => Promise<string>, abandon: () => void }

/** On a machine with more than one core, the bytes are hashed on a thread of their own (hash-thread.ts). */
export function hashingOpen (open: () => ByteSource | Promise<ByteSource>, thread: HashThread | undefined = sharedHashThread()): HashedOpen {
  let hash: Hash | undefined
  return {
    open: async () => {
      hash?.abandon()
      const current = thread?.hash() ?? inlineHash()
      hash = current
      return hashed(await open(), current)
    },
    sha256: async () => {
      const digest = await hash!.digest()
      hash = undefined
      return digest
    },
    close: () => {
      hash?.abandon()
      hash = undefined
    }
  }
}

function inlineHash (): Hash {
  const hash = createHash('sha256')
  return { update: bytes => hash.update(bytes), digest: async () => hash.digest('hex'), abandon: () => {} }
}

async function * hashed (source: ByteSource, hash: Hash): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    await hash.update(chunk)
    yield chunk
  }
}
