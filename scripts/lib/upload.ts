// A file's way through the API as a user sends it (POST /uploads, then PUT to the presigned URL) and the wait
// for its verdict: shared by the end-to-end tests and `npm run bench`.
import type { FileMetadata } from '../../shared/file-record.ts'

/** What POST /uploads answers: where and how to send the file. */
export interface UploadTicket { filename: string, uploadUrl: string, method: string, headers: Record<string, string> }

/** What fetch takes as a request body: a string, a Buffer, a Blob (`openAsBlob` streams a large file from disk). */
export type UploadBody = NonNullable<RequestInit['body']>

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number
  /** Pause between two polls (default 50 ms). */
  intervalMs?: number
}

/** No verdict before the deadline; the message says what was last seen. */
export class VerdictTimeoutError extends Error {
  override name = 'VerdictTimeoutError'
  readonly code = 'verdict-timeout'
}

/** POST /uploads for `filename` (declaring `contentLength` when given); throws unless the API answers 201. */
export async function requestUpload (api: string, filename: string, contentLength?: number): Promise<UploadTicket> {
  const res = await fetch(`${api}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filename, ...(contentLength === undefined ? {} : { contentLength }) })
  })
  if (res.status !== 201) throw new Error(`POST /uploads for ${filename} answered ${res.status}: ${await res.text()}`)
  return await res.json() as UploadTicket
}

/** Sends `body` to the ticket's presigned URL with its method and headers; throws unless S3 answers 200. Returns when it answered. */
export async function putUpload (ticket: UploadTicket, body: UploadBody): Promise<number> {
  const res = await fetch(ticket.uploadUrl, { method: ticket.method, headers: ticket.headers, body })
  if (res.status !== 200) throw new Error(`${ticket.method} ${ticket.filename} to its presigned URL answered ${res.status}: ${await res.text()}`)
  return performance.now()
}

/** Uploads `body` as `filename` through the API at `api`; returns when S3 answered the PUT (performance.now()). */
export async function uploadThroughApi (api: string, filename: string, body: UploadBody): Promise<number> {
  return putUpload(await requestUpload(api, filename), body)
}

/** Processed or failed: what a record ends as, where `processing` (or a record written before the PUT) is on its way. */
function isVerdict (file: FileMetadata): boolean {
  return file.status === 'processed' || file.status === 'failed'
}

/**
 * Polls GET /files/{filename} until its record is processed or failed, and returns it. Until then a 404 (the event
 * has not arrived), another answer or a refused connection (the API restarting) means ask again.
 */
export async function waitForVerdict (api: string, filename: string, { timeoutMs = 30_000, intervalMs = 50 }: WaitOptions = {}): Promise<FileMetadata> {
  const url = `${api}/files/${encodeURIComponent(filename)}`
  return poll<FileMetadata>(timeoutMs, intervalMs, `the verdict on ${filename}`, async signal => {
    const res = await fetch(url, { signal })
    if (res.status !== 200) return { seen: `${res.status} ${await res.text()}` }
    const file = await res.json() as FileMetadata
    return isVerdict(file) ? { value: file } : { seen: `status ${file.status}` }
  })
}

/**
 * Polls GET /files, every page, until each of `filenames` is processed or failed, and returns their records by name:
 * one request per page whatever the number of files, where waiting on each would load the API being measured.
 * `onVerdict` is called as each verdict is first seen.
 */
export async function waitForVerdicts (
  api: string,
  filenames: Iterable<string>,
  { timeoutMs = 30_000, intervalMs = 50, onVerdict }: WaitOptions & { onVerdict?: (file: FileMetadata) => void } = {}
): Promise<Map<string, FileMetadata>> {
  const pending = new Set(filenames)
  const done = new Map<string, FileMetadata>()
  return poll<Map<string, FileMetadata>>(timeoutMs, intervalMs, `the verdicts on ${pending.size} files`, async signal => {
    let cursor: string | null = null
    do {
      const res = await fetch(`${api}/files?limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, { signal })
      if (res.status !== 200) return { seen: `GET /files answered ${res.status} ${await res.text()}` }
      const page = await res.json() as { items: FileMetadata[], nextCursor: string | null }
      for (const file of page.items) {
        if (!isVerdict(file) || !pending.delete(file.filename)) continue
        done.set(file.filename, file)
        onVerdict?.(file)
      }
      cursor = page.nextCursor
    } while (cursor !== null)
    return pending.size === 0 ? { value: done } : { seen: `${pending.size} without one, such as ${[...pending].slice(0, 3).join(', ')}` }
  })
}

/** The least time a call gets before it is abandoned, deadline or not: an API answers in milliseconds, a hung one never. */
const MIN_CALL_MS = 2_000

/**
 * Calls `attempt` until it returns a value, pausing `intervalMs` between calls. Throws a VerdictTimeoutError after
 * `timeoutMs`, with what the last call saw or the error it threw. A call still running at the deadline is abandoned
 * then, or after MIN_CALL_MS: cutting short a request the API is answering would leave it in flight.
 */
async function poll<T> (timeoutMs: number, intervalMs: number, what: string, attempt: (signal: AbortSignal) => Promise<{ value: T } | { seen: string }>): Promise<T> {
  const deadline = performance.now() + timeoutMs
  let seen = 'nothing'
  for (;;) {
    const callMs = Math.max(MIN_CALL_MS, Math.ceil(deadline - performance.now()))
    const signal = AbortSignal.timeout(callMs)
    const result = await attempt(signal).catch((err: Error) => ({ seen: signal.aborted ? `no answer within ${callMs} ms` : err.message }))
    if ('value' in result) return result.value
    seen = result.seen
    if (performance.now() + intervalMs > deadline) throw new VerdictTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`)
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
}
