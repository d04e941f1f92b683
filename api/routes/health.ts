// GET /health (the process is up) and GET /ready (the bucket and the table can be reached).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpProblem } from '../problem.ts'
import { Health, problem, Ready } from '../schemas.ts'
import { singleFlight } from '../single-flight.ts'
import type { RouteOptions } from '../services.ts'

/** How long a readiness answer is reused: /ready is open to anyone, and a check costs a call to S3 and one to DynamoDB. */
export const READY_CACHE_MS = 2000

const health: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { services }) => {
  const checkReady = singleFlight(services.checkReady, READY_CACHE_MS)
  app.get('/health', {
    schema: { tags: ['health'], summary: 'Liveness: the process is up', response: { 200: Health } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: the bucket and the table can be reached',
      description: `One check runs at a time, and its answer is reused for ${READY_CACHE_MS / 1000} s.`,
      response: {
        200: Ready,
        503: problem('The bucket or the table cannot be reached; `checks` says which (not-ready).', {
          status: 503, code: 'not-ready', detail: 'A dependency cannot be reached; see checks.', instance: '/ready'
        })
      }
    }
  }, async () => {
    const checks = await checkReady()
    if (Object.values(checks).some(state => state !== 'ok')) {
      throw new HttpProblem(503, 'not-ready', 'A dependency cannot be reached; see checks.', { checks })
    }
    return { status: 'ready' as const, checks }
  })
}

export default health
