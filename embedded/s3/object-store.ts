// One bucket's objects on disk. A key maps to a file name (the SHA-256 of the key, spread over two folder levels),
// so any key S3 accepts fits and none can name a path outside the store. Each object is a data file plus a JSON
// sidecar (key, size, ETag, content type, user metadata, data file name); the sidecar's atomic rename is the
// moment an object appears or changes, so readers and restarts see a whole old or a whole new object.
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { nextSequencer, type EventName } from './events.ts'
import { isMissing, KeyedLock, readJson, type TempFiles } from './files.ts'
import { SortedKeys } from './keys.ts'

export interface StoredObject {
  key: string
  size: number
  /** Without quotes: the MD5 hex of the bytes, or of the parts' MD5s plus -N for a multipart upload. */
  etag: string
  /** ISO 8601 */
  lastModified: string
  contentType: string
  /** x-amz-meta-* headers, names in lower case. */
  metadata: Record<string, string>
  /** The data file's name, beside the sidecar. */
  data: string
  sequencer: string
}

export type NewObject = Pick<StoredObject, 'key' | 'size' | 'etag' | 'contentType' | 'metadata'> & { lastModified?: string }

/** Called inside the key's lock, so a key's changes are announced in the order they happened. */
export type ChangeListener = (change: { type: 'put', event: EventName, object: StoredObject } | { type: 'delete', key: string, sequencer: string }) => void

export interface ListOptions {
  prefix: string
  delimiter: string
  /** List what comes after this key, or after every key under this common prefix. */
  after?: { key: string } | { commonPrefix: string }
  maxKeys: number
}

export interface Listing {
  contents: StoredObject[]
  commonPrefixes: string[]
  truncated: boolean
  /** The last key or common prefix returned: where the next page starts. */
  last?: { key: string } | { commonPrefix: string }
}

const SIDECAR = '.json'

function keyHash (key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

export class ObjectStore {
  private readonly objects = new Map<string, StoredObject>()
  private readonly sorted = new SortedKeys()
  private readonly locks = new KeyedLock()

  private constructor (private readonly dir: string, private readonly temp: TempFiles, private readonly onChange: ChangeListener) {}

  /** Opens the store in `dir`, dropping what a crash left half-written (data files no sidecar names). */
  static async open (dir: string, temp: TempFiles, onChange: ChangeListener): Promise<ObjectStore> {
    const store = new ObjectStore(dir, temp, onChange)
    await mkdir(dir, { recursive: true })
    for (const first of await readdir(dir)) {
      for (const second of await readdir(join(dir, first))) {
        await store.load(join(dir, first, second))
      }
    }
    return store
  }

  private async load (folder: string): Promise<void> {
    const names = await readdir(folder)
    const referenced = new Set<string>()
    for (const name of names.filter(name => name.endsWith(SIDECAR))) {
      const object = await readJson<StoredObject>(join(folder, name))
      if (object === undefined || typeof object.key !== 'string' || `${keyHash(object.key)}${SIDECAR}` !== name || !names.includes(object.data)) {
        await rm(join(folder, name), { force: true })
        continue
      }
      referenced.add(object.data)
      this.objects.set(object.key, object)
      this.sorted.add(object.key)
    }
    for (const name of names) {
      if (!name.endsWith(SIDECAR) && !referenced.has(name)) await rm(join(folder, name), { force: true })
    }
  }

  private folder (hash: string): string {
    return join(this.dir, hash.slice(0, 2), hash.slice(2, 4))
  }

  get (key: string): StoredObject | undefined {
    return this.objects.get(key)
  }

  /** Makes the staged file (a temporary file, flushed) the object `key`, replacing any older one whole. */
  async put (staged: string, object: NewObject, event: EventName = 'ObjectCreated:Put'): Promise<StoredObject> {
    return await this.locks.run(object.key, async () => {
      const hash = keyHash(object.key)
      const folder = this.folder(hash)
      await mkdir(folder, { recursive: true })
      const data = `${hash}.${randomUUID()}.data`
      await rename(staged, join(folder, data))
      const stored: StoredObject = { lastModified: new Date().toISOString(), ...object, data, sequencer: nextSequencer() }
      try {
        await this.temp.writeFile(join(folder, hash + SIDECAR), JSON.stringify(stored))
      } catch (err) {
        await rm(join(folder, data), { force: true })
        throw err
      }
      const previous = this.objects.get(object.key)
      this.objects.set(object.key, stored)
      this.sorted.add(object.key)
      // Readers that opened the old data file keep reading it; it is gone once they close it.
      if (previous !== undefined) await rm(join(folder, previous.data), { force: true })
      this.onChange({ type: 'put', event, object: stored })
      return stored
    })
  }

  /** Removes `key`; false when there was no such object. */
  async delete (key: string): Promise<boolean> {
    return await this.locks.run(key, async () => {
      const previous = this.objects.get(key)
      if (previous === undefined) return false
      const hash = keyHash(key)
      const folder = this.folder(hash)
      await unlink(join(folder, hash + SIDECAR)).catch((err: unknown) => { if (!isMissing(err)) throw err })
      this.objects.delete(key)
      this.sorted.remove(key)
      await rm(join(folder, previous.data), { force: true })
      this.onChange({ type: 'delete', key, sequencer: nextSequencer() })
      return true
    })
  }

  /** The object and an open handle on its data; retried when an overwrite replaced the file in between. */
  async open (key: string): Promise<{ object: StoredObject, file: FileHandle } | undefined> {
    for (;;) {
      const object = this.objects.get(key)
      if (object === undefined) return undefined
      try {
        return { object, file: await open(join(this.folder(keyHash(key)), object.data), 'r') }
      } catch (err) {
        if (!isMissing(err) || this.objects.get(key) === object) throw err
      }
    }
  }

  /** One page of keys in S3's order, rolled up into common prefixes at `delimiter`. */
  list (options: ListOptions): Listing {
    const { prefix, delimiter, after, maxKeys } = options
    const listing: Listing = { contents: [], commonPrefixes: [], truncated: false }
    let index = this.sorted.search(prefix)
    if (after !== undefined) {
      const marker = 'key' in after ? after.key : after.commonPrefix
      index = Math.max(index, this.sorted.search(marker, false))
      if ('commonPrefix' in after) index = this.skipPrefix(index, after.commonPrefix)
    }
    while (index < this.sorted.length) {
      const key = this.sorted.at(index)!
      if (!key.startsWith(prefix)) break
      if (listing.contents.length + listing.commonPrefixes.length >= maxKeys) {
        listing.truncated = maxKeys > 0
        break
      }
      const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length)
      if (cut >= 0) {
        const commonPrefix = key.slice(0, cut + delimiter.length)
        listing.commonPrefixes.push(commonPrefix)
        listing.last = { commonPrefix }
        index = this.skipPrefix(index, commonPrefix)
      } else {
        listing.contents.push(this.objects.get(key)!)
        listing.last = { key }
        index++
      }
    }
    return listing
  }

  /** The first index from `index` on whose key does not start with `prefix`. */
  private skipPrefix (index: number, prefix: string): number {
    while (index < this.sorted.length && this.sorted.at(index)!.startsWith(prefix)) index++
    return index
  }
}
