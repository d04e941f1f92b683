// GET /files and GET /files/:name: the metadata of uploaded files, read from DynamoDB.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireApiKey, OPTIONAL_BEARER } from '../auth.ts'
import { HttpProblem } from '../problem.ts'
import { FileMetadataRef, FileParams, FilePage, ListQuery, problem } from '../schemas.ts'
import type { RouteOptions } from '../services.ts'

const files: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { config, services }) => {
  if (config.apiKey !== undefined) app.addHook('onRequest', requireApiKey(config.apiKey))
  app.get('/files', {
    schema: {
      tags: ['files'],
      security: OPTIONAL_BEARER,
      summary: 'List files, newest upload first',
      description: 'Pages through the metadata of every file; each page is one DynamoDB query, never a scan.',
      querystring: ListQuery,
      response: {
        200: FilePage,
        400: problem('limit or cursor is invalid (invalid-request, invalid-cursor).'),
        401: problem('API_KEY is set and the request has no valid key (unauthorized).'),
        503: problem('DynamoDB cannot be reached (service-unavailable).'),
        500: problem('Unexpected error (internal-error).')
      }
    }
  }, async request => services.listFiles(request.query.limit, request.query.cursor))

  app.get('/files/:name', {
    schema: {
      tags: ['files'],
      security: OPTIONAL_BEARER,
      summary: 'Get the metadata of one file',
      description: 'While the file is being read, `status` is `processing`; then `processed`, or `failed` with an `error`.',
      params: FileParams,
      response: {
        200: FileMetadataRef,
        401: problem('API_KEY is set and the request has no valid key (unauthorized).'),
        404: problem('No file of that name has been uploaded (file-not-found).'),
        503: problem('DynamoDB cannot be reached (service-unavailable).'),
        500: problem('Unexpected error (internal-error).')
      }
    }
  }, async request => {
    const file = await services.getFile(request.params.name)
    if (file === undefined) {
      throw new HttpProblem(404, 'file-not-found', `No metadata for "${request.params.name}". Upload it first (POST /uploads), or list files with GET /files.`)
    }
    return file
  })
}

export default files
