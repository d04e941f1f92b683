// The additional checksums S3 takes with an upload (x-amz-checksum-*): computed as the bytes arrive, base64 as S3 states them.
import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'

export interface Checksum {
  update: (data: Buffer) => void
  /** Base64 of the big-endian digest, as in x-amz-checksum-<algorithm>. */
  digest: () => string
}

/** The algorithms Node computes; CRC32C and CRC64NVME are accepted unchecked (no implementation without a dependency). */
const ALGORITHMS = new Map<string, () => Checksum>(Object.entries({
  crc32: () => {
    let value = 0
    return {
      update: data => { value = crc32(data, value) },
      digest: () => { const out = Buffer.alloc(4); out.writeUInt32BE(value >>> 0); return out.toString('base64') }
    }
  },
  sha1: () => hashChecksum('sha1'),
  sha256: () => hashChecksum('sha256')
}))

function hashChecksum (algorithm: string): Checksum {
  const hash = createHash(algorithm)
  return { update: data => { hash.update(data) }, digest: () => hash.digest('base64') }
}

/** A checksum for `x-amz-checksum-<algorithm>`, or undefined when this S3 does not verify that algorithm. */
export function createChecksum (header: string): Checksum | undefined {
  // A Map, so a header named after an Object.prototype member (x-amz-checksum-constructor) is just unknown.
  return ALGORITHMS.get(header.replace(/^x-amz-checksum-/, ''))?.()
}
