// The one poller behind every event stream: while anyone listens, it reads the table's changes every half second
// and hands each one, once, to every listener.
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Change, FeedPosition } from '../aws/metadata-table.ts'

/** How often the table is read while at least one client listens. */
export const FEED_POLL_MS = 500
/**
 * Each read reaches this far behind the newest change seen, and what it already sent is skipped: a write whose
 * clock ran a little behind another's (two processes, two Lambda instances), or that the index showed late, still
 * reaches the stream.
 */
const OVERLAP_MS = 2000
/** After a failed read (DynamoDB unreachable), the next one waits this long; clients keep their connection. */
const RETRY_MS = 2000

export type Listener = (change: Change) => void

/** The id of a change: its time and the filename, percent-encoded (a key may hold a newline, which SSE cannot carry). */
export function changeId (change: Change): string {
  return `${change.updated_at}|${encodeURIComponent(change.deleted ? change.filename : change.record.filename)}`
}

/** The position an id names; undefined when it is not one this feed wrote. */
export function parseChangeId (id: string): FeedPosition | undefined {
  const bar = id.indexOf('|')
  if (bar < 0) return undefined
  const updatedAt = id.slice(0, bar)
  let filename: string
  try {
    filename = decodeURIComponent(id.slice(bar + 1))
  } catch {
    return undefined
  }
  return Number.isNaN(Date.parse(updatedAt)) ? undefined : { updatedAt, filename }
}

/** Whether `change` comes after `position` in the feed's order. */
export function isAfter (change: Change, position: FeedPosition): boolean {
  const filename = change.deleted ? change.filename : change.record.filename
  return change.updated_at > position.updatedAt || (change.updated_at === position.updatedAt && filename > position.filename)
}

export class FileFeed {
  /** Every change after a position, oldest first, all of them. */
  readonly #read: (position: FeedPosition) => Promise<Change[]>
  readonly #log: FastifyBaseLogger
  readonly #listeners = new Set<Listener>()
  /** Ids sent within OVERLAP_MS of the newest change, so an overlapping read sends nothing twice. */
  #sent = new Map<string, string>()
  #newest = ''
  #running: Promise<void> | undefined
  #closed = false
  readonly #closing = new AbortController()

  constructor (read: (position: FeedPosition) => Promise<Change[]>, log: FastifyBaseLogger) {
    this.#read = read
    this.#log = log
  }

  /** Starts delivering changes to `listener` (the poller starts with the first listener); returns how to stop. */
  subscribe (listener: Listener): () => void {
    this.#listeners.add(listener)
    if (this.#running === undefined && !this.#closed) {
      this.#newest = new Date(Date.now() - OVERLAP_MS).toISOString()
      this.#running = this.#poll().finally(() => { this.#running = undefined })
    }
    return () => { this.#listeners.delete(listener) }
  }

  /** Stops polling; the streams are ended by their routes. */
  async close (): Promise<void> {
    this.#closed = true
    this.#listeners.clear()
    this.#closing.abort()
    await this.#running
  }

  async #poll (): Promise<void> {
    while (this.#listeners.size > 0 && !this.#closed) {
      let wait = FEED_POLL_MS
      try {
        const from = new Date(Date.parse(this.#newest) - OVERLAP_MS).toISOString()
        // Every change in the window, all pages: a burst larger than one page must not hold the window in place.
        for (const change of await this.#read({ updatedAt: from, filename: '' })) {
          const id = changeId(change)
          if (this.#sent.has(id)) continue
          this.#sent.set(id, change.updated_at)
          if (change.updated_at > this.#newest) this.#newest = change.updated_at
          for (const listener of this.#listeners) listener(change)
        }
        const horizon = new Date(Date.parse(this.#newest) - OVERLAP_MS).toISOString()
        for (const [id, at] of this.#sent) if (at < horizon) this.#sent.delete(id)
      } catch (err) {
        this.#log.warn({ err }, 'reading the table for the event stream failed; trying again')
        wait = RETRY_MS
      }
      await sleep(wait, undefined, { signal: this.#closing.signal }).catch(() => {})
    }
  }
}
