// Live status changes: the server-sent event stream GET /events, or, when EventSource cannot be used (an API key,
// which EventSource cannot send, or a stream that fails), long polls of GET /files/{name}?wait= per watched file.
import { ApiError, apiKey, FINAL_STATUSES, getFile, type FileRecord } from './api.ts'

type FeedMode = 'live' | 'polling'

interface FeedHandlers {
  file: (record: FileRecord) => void
  deleted: (name: string) => void
  mode: (mode: FeedMode) => void
}

/** Seconds each long poll asks the API to wait for a final status (the API allows up to 30). */
const WAIT_SECONDS = 25

export class Feed {
  readonly #handlers: FeedHandlers
  readonly #polled = new Set<string>()
  #source: EventSource | undefined
  #mode: FeedMode = 'polling'

  constructor (handlers: FeedHandlers) {
    this.#handlers = handlers
  }

  /** Opens the stream, or polls when a key is in use. */
  start (): void {
    this.#source?.close()
    this.#source = undefined
    if (apiKey() !== undefined || typeof EventSource === 'undefined') {
      this.#setMode('polling')
      return
    }
    const source = new EventSource('/events')
    this.#source = source
    source.addEventListener('open', () => this.#setMode('live'))
    source.addEventListener('file', event => this.#handlers.file(JSON.parse((event as MessageEvent<string>).data) as FileRecord))
    source.addEventListener('deleted', event => this.#handlers.deleted((JSON.parse((event as MessageEvent<string>).data) as { filename: string }).filename))
    source.addEventListener('error', () => {
      // CONNECTING: the browser reconnects by itself, resuming from Last-Event-ID. CLOSED: it gave up (e.g. 401, 404).
      if (source.readyState === EventSource.CLOSED) {
        this.#source = undefined
        this.#setMode('polling')
      }
    })
  }

  /** Follows one file until its status is final: once read now, then by the stream or by long polls. */
  watch (name: string): void {
    if (this.#mode === 'live') {
      getFile(name).then(this.#handlers.file, () => {})
      return
    }
    if (this.#polled.has(name)) return
    this.#polled.add(name)
    this.#poll(name).finally(() => this.#polled.delete(name))
  }

  async #poll (name: string): Promise<void> {
    let failures = 0
    while (this.#mode === 'polling') {
      try {
        const record = await getFile(name, WAIT_SECONDS)
        failures = 0
        this.#handlers.file(record)
        if (FINAL_STATUSES.has(record.status)) return
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          this.#handlers.deleted(name)
          return
        }
        if (err instanceof ApiError && err.status === 401) return
        // The server is restarting or the network is down: try again, less and less often.
        failures++
        await new Promise(resolve => setTimeout(resolve, Math.min(30_000, 500 * 2 ** failures)))
      }
    }
  }

  #setMode (mode: FeedMode): void {
    this.#mode = mode
    this.#handlers.mode(mode)
  }
}
