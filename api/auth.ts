// Optional API key: with API_KEY set, the routes that touch files need `Authorization: Bearer <API_KEY>`.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestAsyncHookHandler } from 'fastify'
import { HttpProblem } from './problem.ts'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** An onRequest hook that answers 401 unless the request carries the key (compared in constant time). */
export function requireApiKey (apiKey: string): onRequestAsyncHookHandler {
  const expected = digest(apiKey)
  return async (request, reply) => {
    const presented = /^Bearer +(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return
    reply.header('www-authenticate', 'Bearer')
    throw new HttpProblem(401, 'unauthorized', presented === undefined
      ? 'This API needs a key: send it as `Authorization: Bearer <API_KEY>`.'
      : 'The API key is not valid.')
  }
}

/**
 * How the routes that need the key when API_KEY is set declare it in OpenAPI: a bearer token. A server without
 * API_KEY leaves it out of its document (api/app.ts), so Swagger UI shows no lock there.
 */
export const OPTIONAL_BEARER: Array<Record<string, string[]>> = [{ bearerAuth: [] }]
