// Decodes an aws-chunked body (the STREAMING-* payloads of newer SDKs and CLIs): the data, each chunk's signature
// checked in turn when the body is signed, and the trailing headers (checksums) with their signature.
import { createHash } from 'node:crypto'
import { errors, S3Error } from './errors.ts'
import { sameSignature, type Authenticated } from './sigv4.ts'

/** A trailer holds a checksum and its signature; anything past this is not an SDK's. */
const MAX_TRAILER_LINES = 16

export interface ChunkedOptions {
  /** The request's verified signature when the chunks are signed (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]). */
  signed?: Pick<Authenticated, 'signature' | 'signChunk'>
  /** The declared decoded length (x-amz-decoded-content-length): more data is refused as it arrives. */
  decodedLength: number
}

export interface ChunkedBody {
  data: AsyncGenerator<Buffer>
  /** The trailing headers, filled once `data` is consumed. */
  trailers: Map<string, string>
}

const MAX_LINE = 8 * 1024

function malformed (what: string): S3Error {
  return errors.invalidRequest(`The aws-chunked body is malformed: ${what}.`)
}

/** The data of an aws-chunked `source`; throws an S3Error when it is malformed, short, or a signature is wrong. */
export function decodeAwsChunked (source: AsyncIterable<Buffer>, options: ChunkedOptions): ChunkedBody {
  const trailers = new Map<string, string>()
  const input = source[Symbol.asyncIterator]()
  let pending: Buffer = Buffer.alloc(0)

  async function fill (): Promise<void> {
    const next = await input.next()
    if (next.done === true) throw errors.incompleteBody()
    pending = pending.length === 0 ? next.value : Buffer.concat([pending, next.value])
  }

  async function line (): Promise<string> {
    for (;;) {
      const end = pending.indexOf('\r\n')
      if (end >= 0) {
        const text = pending.subarray(0, end).toString('latin1')
        pending = pending.subarray(end + 2)
        return text
      }
      if (pending.length > MAX_LINE) throw malformed('a chunk header line is too long')
      await fill()
    }
  }

  async function * data (): AsyncGenerator<Buffer> {
    let previous = options.signed?.signature ?? ''
    let total = 0
    for (;;) {
      const header = /^([0-9a-fA-F]{1,15})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(await line())
      if (header === null) throw malformed('a chunk header is not "<hex size>[;chunk-signature=<signature>]"')
      const size = parseInt(header[1]!, 16)
      if (options.signed !== undefined && header[2] === undefined) throw malformed('a chunk has no signature')
      total += size
      if (total > options.decodedLength) throw malformed('the chunks hold more than x-amz-decoded-content-length')
      const hash = createHash('sha256')
      for (let left = size; left > 0;) {
        if (pending.length === 0) await fill()
        const piece = pending.subarray(0, Math.min(left, pending.length))
        pending = pending.subarray(piece.length)
        left -= piece.length
        hash.update(piece)
        yield piece
      }
      if (options.signed !== undefined) {
        const expected = await options.signed.signChunk(previous, hash.digest('hex'), 'chunk')
        if (!sameSignature(expected, header[2]!)) throw errors.signatureMismatch()
        previous = header[2]!
      }
      if (size === 0) break
      if (await line() !== '') throw malformed('a chunk does not end with CRLF')
    }
    if (total !== options.decodedLength) throw errors.incompleteBody()
    await readTrailers(previous)
  }

  /** Trailing `name:value` lines up to an empty line; a signed body signs them too. */
  async function readTrailers (previous: string): Promise<void> {
    let signature: string | undefined
    let signedText = ''
    let lines = 0
    for (let text = await line(); text !== ''; text = await line()) {
      // Count lines, not names: repeated names would otherwise grow signedText without bound.
      if (++lines > MAX_TRAILER_LINES) throw malformed('too many trailers')
      const colon = text.indexOf(':')
      if (colon <= 0) throw malformed('a trailer is not "name:value"')
      const name = text.slice(0, colon).trim().toLowerCase()
      const value = text.slice(colon + 1).trim()
      if (name === 'x-amz-trailer-signature') signature = value
      else {
        trailers.set(name, value)
        signedText += `${name}:${value}\n`
      }
    }
    if (options.signed !== undefined && trailers.size > 0) {
      const expected = await options.signed.signChunk(previous, createHash('sha256').update(signedText).digest('hex'), 'trailer')
      if (signature === undefined || !sameSignature(expected, signature)) throw errors.signatureMismatch()
    }
  }

  return { data: data(), trailers }
}
