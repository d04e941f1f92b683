// This visit's uploads: one line per file with its progress bar while it uploads, then its status as the API
// reports it (uploading → processing → processed or failed), each linking to its detail.
import { FINAL_STATUSES, type FileRecord } from './api.ts'
import { byId, h } from './dom.ts'
import { bytes, count } from './format.ts'

interface Entry { item: HTMLLIElement, progress: HTMLProgressElement, status: HTMLElement, note: HTMLElement, final: boolean }

export class SessionView {
  readonly #list = byId<HTMLUListElement>('session')
  readonly #empty = byId('session-empty')
  readonly #entries = new Map<string, Entry>()
  readonly #open: (name: string) => void

  constructor (open: (name: string) => void) {
    this.#open = open
  }

  /** Names whose status is not final yet. */
  pending (): string[] {
    return [...this.#entries].filter(([, entry]) => !entry.final).map(([name]) => name)
  }

  added (name: string, size: number): void {
    const entry = this.#entry(name)
    entry.final = false
    entry.note.textContent = bytes(size)
    this.#setStatus(entry, 'uploading')
  }

  progress (name: string, sent: number, total: number): void {
    const entry = this.#entry(name)
    entry.progress.max = Math.max(total, 1)
    entry.progress.value = sent
    entry.progress.hidden = false
    entry.note.textContent = `${bytes(sent)} of ${bytes(total)}`
  }

  uploaded (name: string): void {
    const entry = this.#entry(name)
    entry.progress.value = entry.progress.max
    entry.progress.hidden = true
    if (entry.status.textContent === 'uploading') this.#setStatus(entry, 'processing')
  }

  failed (name: string, message: string): void {
    const entry = this.#entry(name)
    entry.progress.hidden = true
    entry.note.textContent = message
    this.#setStatus(entry, 'failed', 'upload failed')
  }

  /** The API's record of a file of this visit. */
  update (record: FileRecord): void {
    const entry = this.#entries.get(record.filename)
    if (entry === undefined) return
    // The record says uploading until S3 tells the pipeline; this tab knows better (the progress bar, or done).
    if (record.status === 'uploading') return
    entry.final = FINAL_STATUSES.has(record.status)
    entry.progress.hidden = true
    entry.note.textContent = record.status === 'processed'
      ? `${bytes(record.file_size_bytes)} · ${count(record.row_count ?? 0)} rows · ${count(record.column_count ?? 0)} columns`
      : record.error?.message ?? bytes(record.file_size_bytes)
    this.#setStatus(entry, record.status)
  }

  deleted (name: string): void {
    const entry = this.#entries.get(name)
    if (entry === undefined) return
    entry.final = true
    this.#setStatus(entry, 'deleted')
  }

  #setStatus (entry: Entry, status: string, label = status): void {
    entry.status.className = `badge badge-${status}`
    entry.status.textContent = label
  }

  #entry (name: string): Entry {
    const existing = this.#entries.get(name)
    if (existing !== undefined) return existing
    const progress = h('progress', { max: 1, value: 0, 'aria-label': `Upload progress of ${name}` })
    const status = h('span', { class: 'badge badge-uploading' }, 'uploading')
    const note = h('span', { class: 'muted' })
    const item = h('li', { 'data-file': name },
      h('button', { type: 'button', class: 'link', onclick: () => this.#open(name) }, name),
      status, progress, note)
    const entry = { item, progress, status, note, final: false }
    this.#entries.set(name, entry)
    this.#list.prepend(item)
    this.#empty.hidden = true
    return entry
  }
}
