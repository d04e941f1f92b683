// Finding a file by name for a route (its record, or the 404 that says why there is none), and listing a new upload.
import type { FastifyBaseLogger } from 'fastify'
import { DependencyUnavailableError } from '../shared/errors.ts'
import { isExpiredUpload, type FileMetadata } from '../shared/file-record.ts'
import { HttpProblem } from './problem.ts'
import type { ApiServices } from './services.ts'

/** The 404 for a name with no record: it says what to do, and that a file just put straight into the bucket shows up shortly. */
export function fileNotFound (name: string): HttpProblem {
  return new HttpProblem(404, 'file-not-found',
    `No file "${name}": nothing was uploaded under that name, or it was deleted. Upload it with POST /uploads (or from the page at /): ` +
    'it is listed from then on, as uploading. A file copied straight into the bucket appears once S3 reports it, within a second. List files with GET /files.')
}

export function uploadExpired (file: FileMetadata): HttpProblem {
  return new HttpProblem(404, 'upload-expired',
    `The upload URL for "${file.filename}" expired at ${file.upload_expires_at ?? 'its expiry'} before any upload arrived. Ask for a new one with POST /uploads.`)
}

/** The record as the API shows it; undefined when there is none or its upload URL expired unused (see `lookupProblem`). */
export function visible (file: FileMetadata | undefined): file is FileMetadata {
  return file !== undefined && !isExpiredUpload(file)
}

/** The file's record, or throws the 404 that says why there is none. */
export async function existingFile (services: ApiServices, name: string): Promise<FileMetadata> {
  const file = await services.getFile(name)
  if (file === undefined) throw fileNotFound(name)
  if (isExpiredUpload(file)) throw uploadExpired(file)
  return file
}

/**
 * Lists `record` (status `uploading`) for a URL just issued. The upload does not need it: with DynamoDB out of reach
 * the URL still works and S3's event records the file, so that is a warning, not a failed request.
 */
export async function listUpload (services: ApiServices, record: FileMetadata, log: FastifyBaseLogger): Promise<void> {
  await services.recordUpload(record).catch((err: unknown) => {
    if (!(err instanceof DependencyUnavailableError)) throw err
    log.warn({ err }, `${record.filename} is not listed as uploading: ${err.message}`)
  })
}
