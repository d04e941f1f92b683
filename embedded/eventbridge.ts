// The embedded EventBridge: PutEvents only (JSON 1.1, X-Amz-Target `AWSEvents.PutEvents`), SigV4-checked like S3 and
// DynamoDB. Each accepted event, in EventBridge's delivery shape, is handed to the stack before the call answers,
// so an event the processor saw accepted is already kept (the stack persists its deliveries).
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readSignedRequest } from './json-request.ts'
import { AuthError, SigV4Verifier, type Credentials } from './s3/sigv4.ts'

/** An event as EventBridge delivers it to a rule's targets. */
export interface BusEvent {
  version: '0'
  id: string
  'detail-type': string
  source: string
  account: string
  time: string
  region: string
  resources: string[]
  detail: unknown
}

export const EVENTS_TARGET = /^AWSEvents\./

/** EventBridge's limits: 10 entries per call, 256 KB per entry. */
const MAX_ENTRIES = 10
const MAX_ENTRY_BYTES = 256 * 1024
const MAX_REQUEST_BYTES = 4 * 1024 * 1024
/** The account LocalStack and moto report. */
const ACCOUNT = '000000000000'

export interface EventBridgeOptions {
  credentials: Credentials
  region: string
  /** Bus names PutEvents accepts; `default` is the account's default bus. */
  buses: string[]
  /** Receives the accepted events of one call; the call fails (500) if it throws. */
  onEvents: (events: BusEvent[]) => void
  log: (message: string, err: unknown) => void
}

class EventsError extends Error {
  constructor (readonly type: string, message: string, readonly status = 400) { super(message) }
}

interface Entry { Source?: unknown, DetailType?: unknown, Detail?: unknown, EventBusName?: unknown, Time?: unknown, Resources?: unknown }
type EntryResult = { EventId: string } | { ErrorCode: string, ErrorMessage: string }

export function eventBridgeHandler (options: EventBridgeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const verifier = new SigV4Verifier(options.credentials, 'events')

  async function serve (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = await readSignedRequest(req, MAX_REQUEST_BYTES, () => new EventsError('ValidationException', `Request size exceeds ${MAX_REQUEST_BYTES} bytes`, 413))
    const body = request.body
    if (!SigV4Verifier.isSigned(request)) throw new EventsError('MissingAuthenticationTokenException', 'Request is missing Authentication Token')
    await verifier.verify(request).catch((err: unknown) => {
      throw err instanceof AuthError ? new EventsError(err.code === 'InvalidAccessKeyId' ? 'UnrecognizedClientException' : 'InvalidSignatureException', err.message) : err
    })
    if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') throw new EventsError('UnknownOperationException', `${String(req.headers['x-amz-target'])} is not supported by the embedded EventBridge (PutEvents only)`)
    let input: { Entries?: unknown }
    try {
      input = JSON.parse(body.toString('utf8')) as { Entries?: unknown }
    } catch {
      throw new EventsError('SerializationException', 'The request body is not JSON')
    }
    const entries = input?.Entries
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new EventsError('ValidationException', `Entries must hold 1 to ${MAX_ENTRIES} entries`)
    }
    const accepted: BusEvent[] = []
    const results = (entries as Entry[]).map((entry): EntryResult => {
      const checked = checkEntry(entry, options.buses)
      if ('ErrorCode' in checked) return checked
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': checked.detailType,
        source: checked.source,
        account: ACCOUNT,
        time: checked.time,
        region: options.region,
        resources: checked.resources,
        detail: checked.detail
      }
      accepted.push(event)
      return { EventId: event.id }
    })
    if (accepted.length > 0) options.onEvents(accepted)
    const text = JSON.stringify({ FailedEntryCount: results.filter(r => 'ErrorCode' in r).length, Entries: results })
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) }).end(text)
  }

  return (req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (req.destroyed && !req.complete) return
      const error = err instanceof EventsError ? err : new EventsError('InternalException', 'Internal error', 500)
      if (!(err instanceof EventsError)) options.log('EventBridge request failed', err)
      const text = JSON.stringify({ __type: error.type, message: error.message })
      if (!req.complete) res.setHeader('connection', 'close')
      res.writeHead(error.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': error.type, 'content-length': Buffer.byteLength(text) }).end(text)
    })
  }
}

/** An entry's fields, checked as EventBridge checks them, or its per-entry error. */
function checkEntry (entry: Entry, buses: string[]): { source: string, detailType: string, detail: unknown, time: string, resources: string[] } | { ErrorCode: string, ErrorMessage: string } {
  const invalid = (message: string) => ({ ErrorCode: 'InvalidArgument', ErrorMessage: message })
  if (typeof entry !== 'object' || entry === null) return invalid('An entry must be an object')
  const { Source, DetailType, Detail, EventBusName, Time, Resources = [] } = entry
  if (typeof Source !== 'string' || Source === '') return invalid('Parameter Source is not valid. Reason: Source is a required argument.')
  if (typeof DetailType !== 'string' || DetailType === '') return invalid('Parameter DetailType is not valid. Reason: DetailType is a required argument.')
  if (typeof Detail !== 'string') return invalid('Parameter Detail is not valid. Reason: Detail is a required argument.')
  if (!Array.isArray(Resources) || !Resources.every(r => typeof r === 'string')) return invalid('Parameter Resources is not valid.')
  const bus = typeof EventBusName === 'string' ? EventBusName.slice(EventBusName.lastIndexOf('/') + 1) : 'default'
  if (!buses.includes(bus)) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` }
  if (Buffer.byteLength(Source) + Buffer.byteLength(DetailType) + Buffer.byteLength(Detail) + Buffer.byteLength(Resources.join('')) > MAX_ENTRY_BYTES) {
    return invalid('Total size of the entries in the request is over the limit.')
  }
  let detail: unknown
  try {
    detail = JSON.parse(Detail)
  } catch {
    detail = undefined
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
  // The SDK sends Time as epoch seconds (JSON 1.1 timestamps).
  const time = typeof Time === 'number' ? new Date(Time * 1000) : new Date()
  return { source: Source, detailType: DetailType, detail, time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'), resources: Resources as string[] }
}
