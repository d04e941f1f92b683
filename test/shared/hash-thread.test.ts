// The SHA-256 thread: digests equal to node:crypto's at every size around its blocks, for objects hashed at once,
// abandoned or cut short by the thread stopping; and an idle thread does not keep a process alive.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import t from 'tap'
import { BLOCK_BYTES, HashThread, sharedHashThread } from '../../shared/hash-thread.ts'
import { hashingOpen } from '../../shared/content-hash.ts'

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** `bytes` in chunks of sizes cycling through `sizes`. */
function chunked (bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = sizes[k % sizes.length]!
    chunks.push(bytes.subarray(at, at + n))
    at += n
  }
  return chunks
}

async function digestOf (thread: HashThread, chunks: Uint8Array[]): Promise<string> {
  const hash = thread.hash()
  for (const chunk of chunks) await hash.update(chunk)
  return await hash.digest()
}

t.test('the digest is node:crypto\'s at every size around the blocks, in any chunking', async t => {
  const thread = new HashThread()
  t.teardown(() => thread.close())
  const data = randomBytes(11 * BLOCK_BYTES + 5)
  for (const size of [0, 1, BLOCK_BYTES - 1, BLOCK_BYTES, BLOCK_BYTES + 1, 2 * BLOCK_BYTES, 3.5 * BLOCK_BYTES, data.length]) {
    const bytes = data.subarray(0, size)
    for (const sizes of [[size || 1], [65536], [1, 7777, BLOCK_BYTES + 3]]) {
      t.equal(await digestOf(thread, chunked(bytes, sizes)), sha256(bytes), `${size} bytes in chunks of ${sizes.join(', ')}`)
    }
  }
})

t.test('objects hashed at the same time, more of them than there are blocks, each get their own digest', async t => {
  const thread = new HashThread()
  t.teardown(() => thread.close())
  const objects = Array.from({ length: 6 }, (_, k) => randomBytes(2 * BLOCK_BYTES + 1000 * k))
  const digests = await Promise.all(objects.map(bytes => digestOf(thread, chunked(bytes, [300000]))))
  t.same(digests, objects.map(sha256))
})

t.test('abandoned hashes give their blocks back: later objects are still hashed', async t => {
  const thread = new HashThread()
  t.teardown(() => thread.close())
  const bytes = randomBytes(BLOCK_BYTES + 10)
  for (let k = 0; k < 20; k++) {
    const hash = thread.hash()
    await hash.update(bytes)
    hash.abandon()
  }
  const big = randomBytes(12 * BLOCK_BYTES)
  t.equal(await digestOf(thread, chunked(big, [BLOCK_BYTES])), sha256(big))
})

t.test('a thread that stops fails the hashes it was doing, with a message, and the next object starts another', async t => {
  const thread = new HashThread()
  t.teardown(() => thread.close())
  const bytes = randomBytes(3 * BLOCK_BYTES)
  const cut = thread.hash()
  await cut.update(bytes.subarray(0, 2 * BLOCK_BYTES))
  await thread.close()
  await t.rejects(async () => {
    await cut.update(bytes.subarray(2 * BLOCK_BYTES))
    await cut.digest()
  }, /hashing thread stopped while it was hashing this object/)
  t.equal(await digestOf(thread, [bytes]), sha256(bytes))
})

t.test('a digest asked for as the thread stops is rejected, not left waiting', async t => {
  const thread = new HashThread()
  const bytes = randomBytes(2 * BLOCK_BYTES + 1)
  const hash = thread.hash()
  await hash.update(bytes)
  const rejected = t.rejects(hash.digest(), /hashing thread was stopped/)
  await thread.close()
  await rejected
})

t.test('hashingOpen hashes the last object opened, on the thread or inline, and frees a reopened one', async t => {
  const thread = new HashThread()
  t.teardown(() => thread.close())
  const first = randomBytes(3 * BLOCK_BYTES)
  const second = randomBytes(2 * BLOCK_BYTES + 3)
  for (const hasher of [thread, undefined]) {
    let opens = 0
    const object = hashingOpen(() => chunked(opens++ === 0 ? first : second, [BLOCK_BYTES / 2 + 1]), hasher)
    // The first read stops part way, as the scanner does when it hands a file to csv-parse.
    for await (const chunk of await object.open()) if (chunk.length > 0) break
    for await (const chunk of await object.open()) t.ok(chunk.length > 0)
    t.equal(await object.sha256(), sha256(second), hasher === undefined ? 'inline' : 'on the thread')
    object.close()
  }
})

t.test('the process\'s thread exists from two cores on', async t => {
  t.equal(sharedHashThread(1), undefined)
  t.ok(sharedHashThread(2) instanceof HashThread)
  t.equal(sharedHashThread(2), sharedHashThread(4))
})

t.test('a process that only warmed the thread exits', async t => {
  const module = new URL('../../shared/hash-thread.ts', import.meta.url).href
  const script = `
    const { HashThread } = await import(${JSON.stringify(module)})
    void new HashThread().warm()
    console.log('started')
  `
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30000 })
  t.equal(stdout.trim(), 'started')
})

t.test('a warmed thread hashes as a cold one, and warming twice or after it stopped is harmless', async t => {
  const thread = new HashThread()
  t.teardown(() => thread.close())
  await thread.warm()
  await thread.warm()
  const bytes = randomBytes(9 * BLOCK_BYTES + 5)
  t.equal(await digestOf(thread, chunked(bytes, [65536, BLOCK_BYTES + 1])), sha256(bytes))
  await thread.close()
  await thread.warm()
  t.equal(await digestOf(thread, chunked(bytes, [BLOCK_BYTES * 2])), sha256(bytes), 'a new thread after the stop')
})

for (const warm of [false, true]) {
  t.test(`an idle thread does not keep the process alive${warm ? ' (warmed at start)' : ''}`, async t => {
    const module = new URL('../../shared/hash-thread.ts', import.meta.url).href
    const script = `
    const { HashThread } = await import(${JSON.stringify(module)})
    const thread = new HashThread()
    ${warm ? 'await thread.warm()' : ''}
    const hash = thread.hash()
    await hash.update(new Uint8Array(3 << 20).fill(97))
    console.log(await hash.digest())
  `
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30000 })
    t.equal(stdout.trim(), sha256(new Uint8Array(3 << 20).fill(97)))
  })
}
