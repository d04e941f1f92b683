// Sends bytes of an open file as a response body, read into two buffers used again and again: a read stream takes a
// fresh buffer for every read, which the allocator hands back to the system and this machine's VM then faults in
// again, page by page (measured on 1 GB GETs in the README, Performance).
import type { FileHandle } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'

const BUFFER_BYTES = 1024 * 1024
/** Buffers of finished responses, for the next ones (a few responses at a time keep theirs). */
const spare: Buffer[] = []
const SPARE_MAX = 8

/**
 * Writes bytes `start`…`end` (inclusive) of `file` to `res` and ends it, then closes the file. A buffer is read into
 * again only once the socket has taken what was written from it; a client that goes away ends it early.
 */
export async function sendRange (file: FileHandle, start: number, end: number, res: ServerResponse): Promise<void> {
  const buffers = [spare.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES), spare.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES)]
  /** The write of each buffer, until the socket has taken it. */
  const written: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()]
  const gone = new Promise<void>(resolve => res.once('close', resolve))
  try {
    for (let position = start, k = 0; position <= end; k ^= 1) {
      if (await Promise.race([written[k]!.then(() => true), gone.then(() => false)]) === false) return
      const buffer = buffers[k]!
      const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - position + 1), position)
      if (bytesRead === 0) throw new Error(`the object's file ended at byte ${position}, before byte ${end}`)
      position += bytesRead
      written[k] = new Promise((resolve, reject) => res.write(buffer.subarray(0, bytesRead), err => { if (err === null || err === undefined) resolve(); else reject(err) }))
      // A rejected write ends the loop at its next await; until then it must not go unhandled.
      written[k]!.catch(() => {})
    }
    if (await Promise.race([Promise.all(written).then(() => true), gone.then(() => false)]) === false) return
    res.end()
    // Only now are both buffers free: one whose write never completed may still be read by the socket.
    for (const buffer of buffers) if (spare.length < SPARE_MAX) spare.push(buffer)
  } catch {
    res.destroy()
  } finally {
    await file.close()
  }
}
