// GET /health (the process is up) and GET /ready (the bucket and the table can be reached).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpProblem } from '../problem.ts'
import { Health, problem, Ready } from '../schemas.ts'
import type { RouteOptions } from '../app.ts'

const health: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { services }) => {
  app.get('/health', {
    schema: { tags: ['health'], summary: 'Liveness: the process is up', response: { 200: Health } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: the bucket and the table can be reached',
      response: { 200: Ready, 503: problem('The bucket or the table cannot be reached; `checks` says which (not-ready).') }
    }
  }, async () => {
    const checks = await services.checkReady()
    if (Object.values(checks).some(state => state !== 'ok')) {
      throw new HttpProblem(503, 'not-ready', 'A dependency cannot be reached; see checks.', { checks })
    }
    return { status: 'ready' as const, checks }
  })
}

export default health
