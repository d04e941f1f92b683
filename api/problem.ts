// RFC 9457 problem details: the one JSON body of every 4xx and 5xx answer, and the error handler that builds it.
import { STATUS_CODES } from 'node:http'
import Type from 'typebox'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DependencyUnavailableError, InvalidCursorError } from '../shared/errors.ts'

export const Problem = Type.Object({
  type: Type.String({ description: 'Always "about:blank": `code` says which problem this is.', examples: ['about:blank'] }),
  title: Type.String({ description: 'The HTTP status phrase.', examples: ['Not Found'] }),
  status: Type.Integer({ description: 'The HTTP status code.', examples: [404] }),
  code: Type.String({ description: 'Stable machine-readable code (see the README).', examples: ['file-not-found'] }),
  detail: Type.String({ description: 'What went wrong and what to do, for a person.', examples: ['No metadata for "missing.csv". Upload it first, or check GET /files.'] }),
  instance: Type.String({ description: 'The request path.', examples: ['/files/missing.csv'] }),
  requestId: Type.String({ description: 'Identifies the request in the logs.' }),
  checks: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Readiness: each dependency and its state.' }))
}, { $id: 'Problem', description: 'An error, as RFC 9457 problem details.' })

/** An error that answers with a given status, stable code and detail. */
export class HttpProblem extends Error {
  override name = 'HttpProblem'
  readonly statusCode: number
  readonly code: string
  readonly extensions: Record<string, unknown>

  constructor (statusCode: number, code: string, detail: string, extensions: Record<string, unknown> = {}) {
    super(detail)
    this.statusCode = statusCode
    this.code = code
    this.extensions = extensions
  }
}

// Fastify's own client errors, mapped to this API's codes.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-request'
}

export function sendProblem (reply: FastifyReply, request: FastifyRequest, problem: HttpProblem): FastifyReply {
  return reply.code(problem.statusCode).type('application/problem+json').send({
    type: 'about:blank',
    title: STATUS_CODES[problem.statusCode] ?? 'Error',
    status: problem.statusCode,
    code: problem.code,
    detail: problem.message,
    instance: request.url.split('?')[0],
    requestId: request.id,
    ...problem.extensions
  })
}

/** Installs the single error handler and the not-found handler. */
export function installProblemHandlers (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    sendProblem(reply, request, toProblem(error, request))
  })
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, request, new HttpProblem(404, 'not-found', `No route ${request.method} ${request.url.split('?')[0]}. See /docs for the API.`))
  })
}

/** Every error, whoever raised it, as the one answer it deserves: the only place domain errors meet HTTP. */
function toProblem (error: FastifyError, request: FastifyRequest): HttpProblem {
  if (error instanceof HttpProblem) {
    if (error.statusCode >= 500) request.log.error({ err: error }, error.message)
    return error
  }
  if (error instanceof InvalidCursorError) {
    return new HttpProblem(400, error.code, 'cursor is not one this API returned; use the nextCursor of the previous page, or omit it to start over')
  }
  if (error instanceof DependencyUnavailableError) {
    request.log.warn({ err: error }, error.message)
    return new HttpProblem(503, error.code, `${error.message}. Retry shortly; GET /ready shows the state of each dependency.`)
  }
  if (error.validation) return new HttpProblem(400, 'invalid-request', error.message)
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new HttpProblem(error.statusCode, FASTIFY_CODES[error.code] ?? 'invalid-request', error.message)
  }
  request.log.error({ err: error }, 'unexpected error')
  return new HttpProblem(500, 'internal-error', `Something went wrong on our side. Quote request id ${request.id} when reporting it.`)
}
