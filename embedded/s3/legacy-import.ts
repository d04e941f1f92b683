// Brings objects an older version stored with s3rver (DATA_DIR/s3/<bucket>/<key>._S3rver_object, with a
// ._S3rver_metadata.json and an .md5 beside it) into the new store once, then removes the old files.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, readFile, rm, rmdir, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import type { TempFiles } from './files.ts'
import type { ObjectStore } from './object-store.ts'

const OBJECT_SUFFIX = '._S3rver_object'

async function optionalText (path: string): Promise<string | undefined> {
  return await readFile(path, 'utf8').catch(() => undefined)
}

/**
 * Imports every object under `legacyDir/<bucket>` into `objects` (content type, user metadata and modification
 * time kept; the ETag is the MD5, as before), then removes that folder. Each object is copied before anything is
 * removed, so a crash part-way repeats the import on the next start without losing a file. Returns the count.
 */
export async function importS3rverStore (legacyDir: string, bucket: string, objects: ObjectStore, temp: TempFiles): Promise<number> {
  const root = join(legacyDir, bucket)
  const files = await readdir(root, { recursive: true }).catch(() => undefined)
  if (files === undefined) return 0
  let count = 0
  for (const file of files.filter(name => name.endsWith(OBJECT_SUFFIX))) {
    const path = join(root, file)
    const base = path.slice(0, -OBJECT_SUFFIX.length)
    const metadata = JSON.parse(await optionalText(`${base}._S3rver_metadata.json`) ?? '{}') as Record<string, string>
    const { size, mtime } = await stat(path)
    const hash = createHash('md5')
    const staged = await temp.stage((async function * () {
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
        hash.update(chunk as Buffer)
        yield chunk as Buffer
      }
    })())
    // s3rver's own ETag when it kept one, so records made from it stay current.
    const etag = (await optionalText(`${path}.md5`))?.trim() ?? hash.digest('hex')
    await objects.put(staged, {
      key: file.slice(0, -OBJECT_SUFFIX.length).split(sep).join('/'),
      size,
      etag,
      contentType: metadata['content-type'] ?? 'binary/octet-stream',
      metadata: Object.fromEntries(Object.entries(metadata).filter(([name]) => name.startsWith('x-amz-meta-'))),
      lastModified: mtime.toISOString()
    })
    count++
  }
  await rm(root, { recursive: true, force: true })
  await rmdir(legacyDir).catch(() => {}) // only when no other bucket is left in it
  return count
}
