// GET /events: server-sent events of every change to a file's record, from one shared poller of the table.
import type { ServerResponse } from 'node:http'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { Change, FeedPosition } from '../../aws/metadata-table.ts'
import { requireApiKey, OPTIONAL_BEARER } from '../auth.ts'
import { changeId, FileFeed, isAfter, parseChangeId } from '../file-feed.ts'
import { HttpProblem } from '../problem.ts'
import { COMMON_PROBLEMS, problem } from '../schemas.ts'
import type { RouteOptions } from '../services.ts'

/** A comment line this often keeps proxies and the API's own idle timeout from closing a quiet stream. */
const HEARTBEAT_MS = 15_000
/** Catch-up reads this many changes at a time. */
const CATCH_UP_PAGE = 1000

export interface EventsOptions extends RouteOptions {
  /**
   * Ends each stream after this long; the browser's EventSource reconnects with Last-Event-ID and misses nothing.
   * For hosts that buffer a response whole (a Lambda function URL); unset, a stream lasts as long as its client.
   */
  maxStreamMs?: number | undefined
}

const EventsQuery = Type.Object({
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Start with the changes made after this instant (ISO 8601), instead of from now. Last-Event-ID, when sent, wins.', examples: ['2026-11-24T10:30:00Z'] }))
}, { additionalProperties: false })

const EventsHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 4096, description: 'The id of the last event received: the stream resumes after it (EventSource sends it when it reconnects).' }))
})

const events: FastifyPluginAsyncTypebox<EventsOptions> = async (app, { config, services, maxStreamMs }) => {
  if (config.apiKey !== undefined) app.addHook('onRequest', requireApiKey(config.apiKey))
  const feed = new FileFeed(position => services.changesAfter(position), app.log)
  const open = new Set<ServerResponse>()
  app.addHook('preClose', async () => {
    for (const response of open) response.end()
    await feed.close()
  })

  app.get('/events', {
    exposeHeadRoute: false,
    schema: {
      tags: ['files'],
      security: OPTIONAL_BEARER,
      summary: 'Stream status changes (server-sent events)',
      description: 'A `text/event-stream`: for each change to a file, `id: <updated_at>|<filename, percent-encoded>`, `event: file` and `data:` the record as GET /files lists it; ' +
        'for a deleted file `event: deleted` with `data: {"filename":…}`. Starts from now, from `?since=`, or after `Last-Event-ID` (sent by EventSource when it reconnects). ' +
        'A comment line every 15 s keeps it open. Swagger UI waits for the whole answer, which never comes: use curl -N or EventSource.',
      querystring: EventsQuery,
      headers: EventsHeaders,
      response: {
        200: { description: 'The event stream.', content: { 'text/event-stream': { schema: { type: 'string' }, example: 'id: 2026-11-24T10:30:45.121Z|example.csv\nevent: file\ndata: {"filename":"example.csv","status":"processed",…}\n\n' } } },
        400: problem('`since` or Last-Event-ID is not one this API understands, or an unknown parameter (invalid-request).', {
          status: 400, code: 'invalid-request', detail: 'Last-Event-ID "yesterday" is not an id this stream sent; omit it to start from now.', instance: '/events'
        }),
        ...COMMON_PROBLEMS
      }
    }
  }, async (request, reply) => {
    const start = startPosition(request.headers['last-event-id'], request.query.since)
    const startId = `${start.updatedAt}|${encodeURIComponent(start.filename)}`
    // Changes that arrive while catching up wait here, then go out after it, each once.
    let pending: Change[] | undefined = []
    let send = (change: Change) => { pending?.push(change) }
    const unsubscribe = feed.subscribe(change => { if (isAfter(change, start)) send(change) })
    let caughtUp: Change[]
    try {
      caughtUp = await catchUp(services.changesAfter, start)
    } catch (err) {
      unsubscribe()
      throw err
    }

    reply.hijack()
    const response = reply.raw
    response.writeHead(200, {
      ...reply.getHeaders() as Record<string, string | string[] | number>,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no'
    })
    open.add(response)
    // The id alone moves EventSource's Last-Event-ID to where this stream starts, so a reconnect misses nothing.
    response.write(`retry: 1000\nid: ${startId}\n\n`)
    const sent = new Set<string>()
    send = change => {
      const id = changeId(change)
      if (sent.has(id)) return
      sent.add(id)
      response.write(change.deleted
        ? `id: ${id}\nevent: deleted\ndata: ${JSON.stringify({ filename: change.filename })}\n\n`
        : `id: ${id}\nevent: file\ndata: ${JSON.stringify(change.record)}\n\n`)
    }
    for (const change of [...caughtUp, ...pending]) send(change)
    pending = undefined

    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), HEARTBEAT_MS)
    const ending = maxStreamMs === undefined ? undefined : setTimeout(() => response.end(), maxStreamMs)
    response.once('close', () => {
      clearInterval(heartbeat)
      clearTimeout(ending)
      unsubscribe()
      open.delete(response)
    })
  })
}

/** Where a stream starts: after Last-Event-ID, after `since`, or now. */
function startPosition (lastEventId: string | undefined, since: string | undefined): FeedPosition {
  if (lastEventId !== undefined && lastEventId !== '') {
    const position = parseChangeId(lastEventId)
    if (position === undefined) {
      throw new HttpProblem(400, 'invalid-request', `Last-Event-ID ${JSON.stringify(lastEventId.slice(0, 100))} is not an id this stream sent; omit it to start from now.`)
    }
    return position
  }
  return { updatedAt: new Date(since ?? Date.now()).toISOString(), filename: '' }
}

/** Every change after `start`, oldest first, a page at a time. */
async function catchUp (read: (position: FeedPosition, max?: number) => Promise<Change[]>, start: FeedPosition): Promise<Change[]> {
  const changes: Change[] = []
  let position = start
  for (;;) {
    const page = await read(position, CATCH_UP_PAGE)
    changes.push(...page)
    const last = page.at(-1)
    if (page.length < CATCH_UP_PAGE || last === undefined) return changes
    position = { updatedAt: last.updated_at, filename: last.deleted ? last.filename : last.record.filename }
  }
}

export default events
