// RFC 9457 problem details: the one JSON body of every 4xx and 5xx answer, and the error handler that builds it.
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import Type from 'typebox'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DependencyUnavailableError, InvalidCursorError } from '../shared/errors.ts'

export const Problem = Type.Object({
  type: Type.String({ description: 'Always "about:blank": `code` says which problem this is.', examples: ['about:blank'] }),
  title: Type.String({ description: 'The HTTP status phrase.', examples: ['Not Found'] }),
  status: Type.Integer({ description: 'The HTTP status code.', examples: [404] }),
  code: Type.String({ description: 'Stable machine-readable code (see the README).', examples: ['file-not-found'] }),
  detail: Type.String({ description: 'What went wrong and what to do, for a person.', examples: ['No file "missing.csv": nothing was uploaded under that name, or it was deleted. List files with GET /files.'] }),
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

// What the router refuses before any route runs: its code, and a detail that does not echo a long path back.
const ROUTER_PROBLEMS: Record<string, [code: string, detail: string]> = {
  FST_ERR_BAD_URL: ['invalid-url', 'The path is not valid percent-encoded UTF-8; encode the filename with encodeURIComponent.'],
  FST_ERR_MAX_PARAM_LENGTH: ['uri-too-long', 'The filename in the path is longer than any S3 key can be (1,024 bytes).']
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

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route runs (a URL that does not decode, a
 * path parameter over maxParamLength) goes through the same mapping as every other error.
 */
export function frameworkProblem (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = ROUTER_PROBLEMS[error.code]
  sendProblem(reply, request, known === undefined ? toProblem(error, request) : new HttpProblem(error.statusCode ?? 400, ...known))
}

/**
 * The Node server's 'clientError' (Fastify's `clientErrorHandler`): a request that never became one (headers over
 * the size limit, too slow to arrive, not HTTP) still gets problem details, written to the socket, which is then
 * closed. There is no request yet, so no `instance` or `requestId`.
 */
export function clientErrorHandler (this: FastifyInstance, error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, detail] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'request-timeout', 'The request did not arrive in time; send it again, all at once.']
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'The request headers are larger than the server accepts (16 KiB).']
      : [400, 'bad-request', 'The request is not valid HTTP/1.1.']
  this.log.debug({ err: error }, `client error: ${code}`)
  const title = STATUS_CODES[status] ?? 'Error'
  const body = JSON.stringify({ type: 'about:blank', title, status, code, detail })
  // Node's own rule: write only when no response to this connection has started.
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && response?.headersSent !== true) {
    socket.write(`HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(error)
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
