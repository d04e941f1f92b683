// POST /uploads: validates a filename, hands back a presigned S3 PUT URL for it, and lists the file as uploading.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { uploadingRecord } from '../../shared/file-record.ts'
import { filenameProblem } from '../../shared/filename.ts'
import { requireApiKey, OPTIONAL_BEARER } from '../auth.ts'
import { listUpload } from '../file-lookup.ts'
import { HttpProblem } from '../problem.ts'
import { COMMON_PROBLEMS, problem, UploadRequest, UploadTicket } from '../schemas.ts'
import type { RouteOptions } from '../services.ts'

const uploads: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { config, services }) => {
  if (config.apiKey !== undefined) app.addHook('onRequest', requireApiKey(config.apiKey))
  app.post('/uploads', {
    schema: {
      tags: ['uploads'],
      security: OPTIONAL_BEARER,
      summary: 'Get a presigned URL to upload a CSV file',
      description: 'To upload from a browser, open the page at `/` and drop the files there (large ones go in parts). ' +
        'This returns a presigned S3 PUT URL, which Swagger UI cannot use to send a file: PUT the file to it with curl (`curl -X PUT -T example.csv "<uploadUrl>"`). ' +
        'From now on GET /files/{name} answers `uploading` (a file that already exists keeps its record until the new version arrives), ' +
        'then `processing`, `processed` or `failed`. Files over 5 GiB, or uploads to resume, go in parts: see POST /s3/multipart.',
      body: UploadRequest,
      response: {
        201: UploadTicket,
        400: problem('The filename or body is invalid (invalid-filename, invalid-request).', {
          status: 400, code: 'invalid-filename', detail: 'filename must end in ".csv", ".tsv" or ".txt", or one of them and ".gz", after a name, e.g. "example.csv"', instance: '/uploads'
        }),
        401: COMMON_PROBLEMS[401],
        413: problem('The declared contentLength or the body is too large (upload-too-large, payload-too-large).', {
          status: 413, code: 'upload-too-large', detail: 'contentLength 6442450944 exceeds the upload limit of 5368709120 bytes (MAX_UPLOAD_BYTES).', instance: '/uploads'
        }),
        415: problem('The body is not JSON (unsupported-media-type).', {
          status: 415, code: 'unsupported-media-type', detail: 'Unsupported Media Type: application/xml', instance: '/uploads'
        }),
        503: COMMON_PROBLEMS[503],
        500: COMMON_PROBLEMS[500]
      }
    }
  }, async (request, reply) => {
    const { filename, contentLength } = request.body
    const reason = filenameProblem(filename)
    if (reason !== undefined) throw new HttpProblem(400, 'invalid-filename', reason)
    if (contentLength !== undefined && contentLength > config.maxUploadBytes) {
      throw new HttpProblem(413, 'upload-too-large',
        `contentLength ${contentLength} exceeds the upload limit of ${config.maxUploadBytes} bytes (MAX_UPLOAD_BYTES).`)
    }
    const issuedAt = new Date()
    const ticket = await services.presignUpload(filename, contentLength)
    await listUpload(services, uploadingRecord(filename, issuedAt, ticket.expiresAt, contentLength), request.log)
    return reply.code(201).send({
      filename,
      bucket: config.bucketName,
      key: filename,
      uploadUrl: ticket.url,
      method: 'PUT' as const,
      headers: ticket.headers,
      expiresAt: ticket.expiresAt.toISOString()
    })
  })
}

export default uploads
