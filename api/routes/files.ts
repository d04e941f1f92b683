// The file resource: list (with filters), read (optionally waiting for a final status), HEAD, delete, download.
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { isExpiredUpload, Status, type FileMetadata } from '../../shared/file-record.ts'
import { requireApiKey, OPTIONAL_BEARER } from '../auth.ts'
import { existingFile, fileNotFound, uploadExpired } from '../file-lookup.ts'
import { HttpProblem } from '../problem.ts'
import { COMMON_PROBLEMS, Deleting, FileMetadataRef, FileParams, FilePage, FileQuery, FILE_NOT_FOUND, ListQuery, NoQuery, problem } from '../schemas.ts'
import type { ApiServices, RouteOptions } from '../services.ts'

/** How often ?wait= reads the record again: a table read, so it works the same on AWS. */
const WAIT_POLL_MS = 250

const files: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { config, services }) => {
  if (config.apiKey !== undefined) app.addHook('onRequest', requireApiKey(config.apiKey))
  app.get('/files', {
    schema: {
      tags: ['files'],
      security: OPTIONAL_BEARER,
      summary: 'List files, newest upload first',
      description: 'Pages through the metadata of every file; each page is one DynamoDB Query on an index sorted by upload time, never a scan. ' +
        'The time range (`from`, `to`) is the query\'s key condition; `status` and `prefix` filter the items it read, so a filtered page can hold ' +
        'fewer than `limit` items (even none) and still have a `nextCursor`: follow it until it is null. Unknown parameters are refused.',
      querystring: ListQuery,
      response: {
        200: FilePage,
        400: problem('A parameter is invalid or unknown (invalid-request), or the cursor is not one this API returned (invalid-cursor).', {
          status: 400, code: 'invalid-request', detail: 'querystring has unknown parameter "state"; accepted: limit, cursor, status, prefix, from, to', instance: '/files'
        }),
        ...COMMON_PROBLEMS
      }
    }
  }, async request => {
    const { limit = 50, cursor, status, prefix, from, to } = request.query
    return services.listFiles(limit, cursor, {
      ...(status === undefined ? {} : { status }),
      ...(prefix === undefined ? {} : { prefix }),
      ...(from === undefined ? {} : { from: new Date(from).toISOString() }),
      ...(to === undefined ? {} : { to: new Date(to).toISOString() })
    })
  })

  app.get('/files/:name', {
    schema: {
      tags: ['files'],
      security: OPTIONAL_BEARER,
      summary: 'Get the metadata of one file',
      description: '`uploading` from the moment its upload URL is issued, `processing` while the file is read, then `processed`, or `failed` with an `error`. ' +
        'With `?wait=30` the answer comes as soon as the status is final, or after 30 s with the status it has then. HEAD answers the same status without a body.',
      params: FileParams,
      querystring: FileQuery,
      response: {
        200: FileMetadataRef,
        400: problem('`wait` is not 0-30, or an unknown parameter (invalid-request).', {
          status: 400, code: 'invalid-request', detail: 'querystring/wait must be less or equal to 30', instance: '/files/example.csv'
        }),
        404: FILE_NOT_FOUND,
        ...COMMON_PROBLEMS
      }
    }
  }, async (request, reply) => {
    const { name } = request.params
    const waitMs = (request.query.wait ?? 0) * 1000
    if (waitMs === 0) return existingFile(services, name)
    const gone = new AbortController()
    reply.raw.once('close', () => gone.abort())
    return waitForFinal(services, name, Date.now() + waitMs, gone.signal)
  })

  app.delete('/files/:name', {
    schema: {
      tags: ['files'],
      security: OPTIONAL_BEARER,
      summary: 'Delete a file',
      description: 'Deletes the object from the bucket; its record goes once S3 reports the deletion (GET /files/{name} then answers 404, and the event stream sends `deleted`). ' +
        'A file still `uploading` with nothing uploaded yet is removed at once.',
      params: FileParams,
      querystring: NoQuery,
      response: {
        202: Deleting,
        400: problem('An unknown parameter (invalid-request).', { status: 400, code: 'invalid-request', detail: 'querystring has unknown parameter "force"; it takes no parameters', instance: '/files/example.csv' }),
        404: FILE_NOT_FOUND,
        ...COMMON_PROBLEMS
      }
    }
  }, async (request, reply) => {
    const file = await existingFile(services, request.params.name)
    await services.deleteFile(file)
    return reply.code(202).send({ filename: file.filename, status: 'deleting' as const })
  })

  app.get('/files/:name/download', {
    schema: {
      tags: ['files'],
      security: OPTIONAL_BEARER,
      summary: 'Download a file',
      description: `Redirects (307) to a presigned S3 GET of the object, valid ${config.uploadUrlExpiresIn} s, that saves it under its name. ` +
        'Swagger UI shows the redirect\'s target; a browser or `curl -L` follows it.',
      params: FileParams,
      querystring: NoQuery,
      response: {
        307: { description: 'The presigned URL is in the Location header.', type: 'null' },
        400: problem('An unknown parameter (invalid-request).', { status: 400, code: 'invalid-request', detail: 'querystring has unknown parameter "inline"; it takes no parameters', instance: '/files/example.csv/download' }),
        404: problem('No such file (file-not-found), or nothing uploaded yet (file-not-uploaded) or ever (upload-expired).', {
          status: 404, code: 'file-not-uploaded', detail: '"example.csv" is still uploading: there is nothing to download until the upload arrives.', instance: '/files/example.csv/download'
        }),
        ...COMMON_PROBLEMS
      }
    }
  }, async (request, reply) => {
    const file = await existingFile(services, request.params.name)
    if (file.status === Status.uploading) {
      throw new HttpProblem(404, 'file-not-uploaded', `"${file.filename}" is still uploading: there is nothing to download until the upload arrives.`)
    }
    return reply.redirect(await services.presignDownload(file.filename), 307)
  })
}

/**
 * Reads the record every WAIT_POLL_MS until its status is final or `deadline` passes; then answers with the record
 * as it is (or 404). Stops early when the client has gone.
 */
async function waitForFinal (services: ApiServices, name: string, deadline: number, gone: AbortSignal): Promise<FileMetadata> {
  for (;;) {
    const file = await services.getFile(name)
    if (file !== undefined && isExpiredUpload(file)) throw uploadExpired(file)
    const final = file?.status === Status.processed || file?.status === Status.failed
    if (final || Date.now() + WAIT_POLL_MS > deadline || gone.aborted) {
      if (file === undefined) throw fileNotFound(name)
      return file
    }
    await sleep(WAIT_POLL_MS, undefined, { signal: gone }).catch(() => {})
  }
}

export default files
