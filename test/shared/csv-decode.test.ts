// The text layer alone: encodings decoded as a stream whatever the chunking, past the first 64 KiB, and what it
// says when bytes stop being text there.
import t from 'tap'
import { gzipSync } from 'node:zlib'
import { HEAD_BYTES, openText, Reread, type TextOptions } from '../../shared/csv-decode.ts'
import { DEFAULT_LIMITS } from '../../shared/limits.ts'

/** The first HEAD_BYTES in one chunk, the rest in chunks of `size`. */
function chunks (bytes: Buffer, size: number): Buffer[] {
  const out = [bytes.subarray(0, HEAD_BYTES)]
  for (let i = HEAD_BYTES; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

const options = (more: Partial<TextOptions> = {}): TextOptions => ({ maxDecompressedBytes: DEFAULT_LIMITS.maxDecompressedBytes, countLines: false, ...more })

async function read (bytes: Buffer, size: number, more: Partial<TextOptions> = {}): Promise<{ text: string, encoding: string, warnings: unknown[] }> {
  const text = await openText(chunks(bytes, size), options(more))
  const parts = [text.head]
  for await (const chunk of text.rest) parts.push(chunk)
  return { text: Buffer.concat(parts).toString(), encoding: text.encoding, warnings: text.warnings }
}

async function failure (bytes: Buffer, size: number, more: Partial<TextOptions> = {}): Promise<unknown> {
  return read(bytes, size, more).then(() => undefined, (err: unknown) => err)
}

// ASCII filler past the head, so what follows is decoded chunk by chunk.
const filler = 'x'.repeat(HEAD_BYTES + 10) + '\n'
const tail = 'é€😀\r\nZürich, ’quoted’ – 名前\n'

t.test('characters split across chunks after the first 64 KiB come out whole, in every encoding', async t => {
  const encodings: Array<[string, Buffer]> = [
    ['utf-8', Buffer.from(filler + tail)],
    ['utf-8-bom', Buffer.from('\ufeff' + filler + tail)],
    ['utf-16le', Buffer.from('\ufeff' + filler + tail, 'utf16le')],
    ['utf-16be', Buffer.from('\ufeff' + filler + tail, 'utf16le').swap16()]
  ]
  for (const [encoding, bytes] of encodings) {
    for (const size of [1, 2, 3, 5, 7, 4099]) {
      const result = await read(bytes, size)
      t.equal(result.encoding, encoding, `${encoding} in chunks of ${size}`)
      t.ok(result.text === filler + tail, `${encoding} in chunks of ${size}: the same text`)
    }
  }
})

t.test('a byte that is not UTF-8 after 64 KiB of ASCII: read again as Windows-1252, from where it is', async t => {
  const bytes = Buffer.concat([Buffer.from(filler + 'a\r\nb\n'), Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x80, 0x0a])])
  for (const size of [1, 3, 4099]) {
    const err = await failure(bytes, size)
    t.type(err, Reread)
    t.equal((err as Reread).windows1252At, filler.length + 8, `chunks of ${size}: the offset of the first such byte`)
    const again = await read(bytes, size, { windows1252At: (err as Reread).windows1252At })
    t.equal(again.encoding, 'windows-1252')
    t.ok(again.text.endsWith('a\r\nb\nCafé€\n'), 'decoded as Windows-1252')
    t.match(again.warnings, [{ code: 'non-utf8', line: 4 }])
  }
})

t.test('after UTF-8 text, such a byte is an encoding error: named by line when lines are counted', async t => {
  const bytes = Buffer.concat([Buffer.from(filler + 'é\r\nb\n'), Buffer.from([0xe2, 0x82, 0x41, 0x0a])])
  for (const size of [1, 2, 4099]) {
    const quick = await failure(bytes, size)
    t.type(quick, Reread, `chunks of ${size}: without line numbers, read again`)
    t.equal((quick as Reread).windows1252At, undefined)
    t.match(await failure(bytes, size, { countLines: true }), { code: 'encoding-error', line: 4 }, `chunks of ${size}`)
  }
})

t.test('UTF-16 cut short or broken after the head names the line', async t => {
  const text = Buffer.from('\ufeff' + filler + 'a\nb\n', 'utf16le')
  const highSurrogateAtEnd = Buffer.concat([text, Buffer.from([0x3d, 0xd8])])
  const oddLength = Buffer.concat([text, Buffer.from([0x41])])
  const loneLow = Buffer.concat([text, Buffer.from('c', 'utf16le'), Buffer.from([0x00, 0xdc]), Buffer.from('\n', 'utf16le')])
  for (const [name, bytes] of [['a high surrogate at the end', highSurrogateAtEnd], ['an odd byte count', oddLength], ['a lone low surrogate', loneLow]] as const) {
    t.type(await failure(bytes, 4099), Reread, `${name}: read again for the line`)
    t.match(await failure(bytes, 4099, { countLines: true }), { code: 'encoding-error', line: 4 }, name)
  }
})

t.test('a NUL after the head, and gzip members one after the other', async t => {
  t.match(await failure(Buffer.from(filler + 'a\u0000b\n'), 4099), { code: 'binary-file', message: new RegExp(`byte ${filler.length + 1} `) })
  const twoMembers = Buffer.concat([gzipSync('a,b\n1,2\n'), gzipSync('3,4\n')])
  t.equal((await read(twoMembers, 5)).text, 'a,b\n1,2\n3,4\n')
})
