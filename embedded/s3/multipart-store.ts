// Multipart uploads of one bucket on disk: a folder per upload with its description and its parts (each a data
// file plus a JSON sidecar, replaced atomically like objects). Completing one concatenates the parts into a
// staged file for the object store; completing or aborting removes the folder; abandoned uploads expire.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { errors } from './errors.ts'
import { KeyedLock, readJson, type TempFiles } from './files.ts'
import { compareKeys } from './keys.ts'
import { unquotedEtag } from '../../shared/s3-object.ts'

export interface Upload {
  uploadId: string
  key: string
  initiated: string
  contentType: string
  metadata: Record<string, string>
  parts: Map<number, Part>
}

export interface Part {
  partNumber: number
  size: number
  /** MD5 hex, without quotes. */
  etag: string
  lastModified: string
  data: string
}

export const MIN_PART_BYTES = 5 * 1024 * 1024
export const MAX_PARTS = 10_000
const DESCRIPTION = 'upload.json'

export class MultipartStore {
  private readonly uploads = new Map<string, Upload>()
  private readonly locks = new KeyedLock()

  private constructor (private readonly dir: string, private readonly temp: TempFiles) {}

  /** Opens the uploads in `dir`, dropping what a crash left half-written. */
  static async open (dir: string, temp: TempFiles): Promise<MultipartStore> {
    const store = new MultipartStore(dir, temp)
    await mkdir(dir, { recursive: true })
    for (const uploadId of await readdir(dir)) await store.load(uploadId)
    return store
  }

  private async load (uploadId: string): Promise<void> {
    const folder = join(this.dir, uploadId)
    const names = await readdir(folder).catch(() => [] as string[])
    const upload = await readJson<Omit<Upload, 'parts'>>(join(folder, DESCRIPTION))
    if (upload?.uploadId !== uploadId || typeof upload.key !== 'string') {
      await rm(folder, { recursive: true, force: true })
      return
    }
    const parts = new Map<number, Part>()
    for (const name of names.filter(name => /^\d+\.json$/.test(name))) {
      const part = await readJson<Part>(join(folder, name))
      if (part !== undefined && names.includes(part.data)) parts.set(part.partNumber, part)
    }
    const kept = new Set([DESCRIPTION, ...[...parts.values()].flatMap(part => [part.data, `${part.partNumber}.json`])])
    for (const name of names) if (!kept.has(name)) await rm(join(folder, name), { force: true })
    this.uploads.set(uploadId, { ...upload, parts })
  }

  async create (key: string, contentType: string, metadata: Record<string, string>): Promise<Upload> {
    const uploadId = randomBytes(24).toString('base64url')
    const upload: Upload = { uploadId, key, initiated: new Date().toISOString(), contentType, metadata, parts: new Map() }
    const { parts: _parts, ...description } = upload
    await this.temp.writeFile(join(this.dir, uploadId, DESCRIPTION), JSON.stringify(description))
    this.uploads.set(uploadId, upload)
    return upload
  }

  /** The upload `uploadId` of `key`; NoSuchUpload when there is none. */
  get (uploadId: string, key: string): Upload {
    const upload = this.uploads.get(uploadId)
    if (upload?.key !== key) throw errors.noSuchUpload(uploadId)
    return upload
  }

  /** In-progress uploads in key order, then by initiation. */
  list (): Upload[] {
    return [...this.uploads.values()].sort((a, b) => compareKeys(a.key, b.key) || a.initiated.localeCompare(b.initiated))
  }

  /** Makes the staged file part `partNumber`, replacing an earlier upload of that number. */
  async putPart (upload: Upload, partNumber: number, staged: string, size: number, etag: string): Promise<Part> {
    return await this.locks.run(upload.uploadId, async () => {
      if (this.uploads.get(upload.uploadId) !== upload) {
        await rm(staged, { force: true })
        throw errors.noSuchUpload(upload.uploadId)
      }
      const folder = join(this.dir, upload.uploadId)
      const part: Part = { partNumber, size, etag, lastModified: new Date().toISOString(), data: `${partNumber}.${randomUUID()}.part` }
      await rename(staged, join(folder, part.data))
      await this.temp.writeFile(join(folder, `${partNumber}.json`), JSON.stringify(part))
      const previous = upload.parts.get(partNumber)
      upload.parts.set(partNumber, part)
      if (previous !== undefined) await rm(join(folder, previous.data), { force: true })
      return part
    })
  }

  /**
   * Concatenates the named parts (ascending, each ETag matching, all but the last at least 5 MiB) into a staged
   * file and hands it with its size and multipart ETag to `commit`; then the upload is gone. The upload stays
   * locked meanwhile, so no part changes under it and it completes once.
   */
  async complete<T> (upload: Upload, requested: Array<{ partNumber: number, etag: string }>,
    commit: (staged: string, size: number, etag: string) => Promise<T>): Promise<T> {
    return await this.locks.run(upload.uploadId, async () => {
      if (this.uploads.get(upload.uploadId) !== upload) throw errors.noSuchUpload(upload.uploadId)
      if (requested.length === 0) throw errors.malformedXml()
      const parts = requested.map(({ partNumber, etag }, index) => {
        if (index > 0 && partNumber <= requested[index - 1]!.partNumber) throw errors.invalidPartOrder()
        const part = upload.parts.get(partNumber)
        if (part === undefined || part.etag !== unquotedEtag(etag)) throw errors.invalidPart()
        return part
      })
      if (parts.slice(0, -1).some(part => part.size < MIN_PART_BYTES)) throw errors.entityTooSmall()
      const folder = join(this.dir, upload.uploadId)
      async function * concatenated (): AsyncGenerator<Buffer> {
        for (const part of parts) yield * createReadStream(join(folder, part.data), { highWaterMark: 1024 * 1024 })
      }
      const staged = await this.temp.stage(concatenated())
      const md5s = Buffer.concat(parts.map(part => Buffer.from(part.etag, 'hex')))
      const etag = `${createHash('md5').update(md5s).digest('hex')}-${parts.length}`
      const size = parts.reduce((sum, part) => sum + part.size, 0)
      const result = await commit(staged, size, etag)
      await this.remove(upload.uploadId)
      return result
    })
  }

  async abort (upload: Upload): Promise<void> {
    await this.locks.run(upload.uploadId, async () => { await this.remove(upload.uploadId) })
  }

  /** Removes uploads started before `before` (abandoned: S3's lifecycle rule would abort them). */
  async expire (before: Date): Promise<void> {
    const stale = [...this.uploads.values()].filter(upload => new Date(upload.initiated) < before)
    for (const upload of stale) await this.abort(upload)
  }

  private async remove (uploadId: string): Promise<void> {
    this.uploads.delete(uploadId)
    await rm(join(this.dir, uploadId), { recursive: true, force: true })
  }
}
