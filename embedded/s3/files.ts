// Crash-safe file writes under the store's folder: content goes to a temporary file, is flushed to disk, then
// renamed into place, so a reader (or a restart) sees the old file or the new one, never a part.
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'

/** Temporary files live in one folder of the store (same file system, so rename is atomic); it is emptied at start. */
export class TempFiles {
  constructor (readonly dir: string) {}

  async reset (): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
    await mkdir(this.dir, { recursive: true })
  }

  path (): string {
    return join(this.dir, randomUUID())
  }

  /** Writes `source` to a new temporary file, flushed to disk; removed again when anything fails. */
  async stage (source: AsyncIterable<Buffer>): Promise<string> {
    const path = this.path()
    try {
      await pipeline(source, createWriteStream(path, { flags: 'wx', flush: true, highWaterMark: 1024 * 1024 }))
      return path
    } catch (err) {
      await rm(path, { force: true })
      throw err
    }
  }

  /** Replaces `target` with `content` atomically. */
  async writeFile (target: string, content: string): Promise<void> {
    const path = this.path()
    const file = await open(path, 'wx')
    try {
      await file.writeFile(content)
      await file.sync()
    } finally {
      await file.close()
    }
    await mkdir(dirname(target), { recursive: true })
    await rename(path, target).catch(async (err: unknown) => {
      await rm(path, { force: true })
      throw err
    })
  }
}

/** Runs `task`s one after another per name: a key's (or a part's) writes and removals never interleave. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<T> (name: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve()
    const current = previous.then(task, task)
    const tail = current.catch(() => {})
    this.tails.set(name, tail)
    try {
      return await current
    } finally {
      if (this.tails.get(name) === tail) this.tails.delete(name)
    }
  }
}

/** Whether `err` is a missing file. */
export function isMissing (err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT'
}

/** A JSON file's content; undefined when it is missing or not JSON (torn by a crash: never trusted). */
export async function readJson<T> (path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch {
    return undefined
  }
}
