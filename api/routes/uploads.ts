// POST /uploads: validates a filename and hands back a presigned S3 PUT URL for it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { filenameProblem } from '../../shared/filename.ts'
import { requireApiKey, OPTIONAL_BEARER } from '../auth.ts'
import { HttpProblem } from '../problem.ts'
import { problem, UploadRequest, UploadTicket } from '../schemas.ts'
import type { RouteOptions } from '../services.ts'

const uploads: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { config, services }) => {
  if (config.apiKey !== undefined) app.addHook('onRequest', requireApiKey(config.apiKey))
  app.post('/uploads', {
    schema: {
      tags: ['uploads'],
      security: OPTIONAL_BEARER,
      summary: 'Get a presigned URL to upload a CSV file',
      description: 'Returns a presigned S3 PUT URL. PUT the file to it; the file is then processed and its metadata appears under GET /files/{name}.',
      body: UploadRequest,
      response: {
        201: UploadTicket,
        400: problem('The filename or body is invalid (invalid-filename, invalid-request).'),
        401: problem('API_KEY is set and the request has no valid key (unauthorized).'),
        413: problem('The declared contentLength or the body is too large (upload-too-large, payload-too-large).'),
        415: problem('The body is not JSON (unsupported-media-type).'),
        500: problem('Unexpected error (internal-error).')
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
    const ticket = await services.presignUpload(filename, contentLength)
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
