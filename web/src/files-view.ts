// The file list: one page at a time (the API's cursor), filtered by status and name prefix, kept current by the feed.
import { ApiError, listFiles, type FileRecord } from './api.ts'
import { byId, h } from './dom.ts'
import { bytes, count, when } from './format.ts'

const PAGE_SIZE = 20

interface FilesViewOptions {
  open: (name: string) => void
  /** Called when the API answers 401: the page then asks for a key. */
  unauthorized: () => void
}

export class FilesView {
  readonly #body = byId<HTMLTableElement>('files').tBodies[0]!
  readonly #empty = byId('files-empty')
  readonly #error = byId('files-error')
  readonly #status = byId<HTMLSelectElement>('status-filter')
  readonly #prefix = byId<HTMLInputElement>('prefix-filter')
  readonly #next = byId<HTMLButtonElement>('next-page')
  readonly #first = byId<HTMLButtonElement>('first-page')
  readonly #label = byId('page-label')
  readonly #options: FilesViewOptions
  /** Cursors of the pages shown so far; the first page has none. */
  #cursors: Array<string | undefined> = [undefined]
  #nextCursor: string | null = null
  #rows = new Map<string, HTMLTableRowElement>()
  #loading = 0

  constructor (options: FilesViewOptions) {
    this.#options = options
    this.#status.addEventListener('change', () => this.reload())
    let typing: ReturnType<typeof setTimeout> | undefined
    this.#prefix.addEventListener('input', () => {
      clearTimeout(typing)
      typing = setTimeout(() => this.reload(), 250)
    })
    byId('filters').addEventListener('submit', event => {
      event.preventDefault()
      this.reload()
    })
    this.#next.addEventListener('click', () => {
      if (this.#nextCursor === null) return
      this.#cursors.push(this.#nextCursor)
      this.#load().catch(console.error)
    })
    this.#first.addEventListener('click', () => this.reload())
  }

  /** Back to the first page with the current filters. */
  reload (): void {
    this.#cursors = [undefined]
    this.#load().catch(console.error)
  }

  /** A record from the feed: updates its row, or adds it on top of the first page when it matches the filters. */
  update (record: FileRecord): void {
    const row = this.#rows.get(record.filename)
    if (!this.#matches(record)) {
      row?.remove()
      this.#rows.delete(record.filename)
      return
    }
    const fresh = this.#row(record)
    if (row !== undefined) {
      row.replaceWith(fresh)
    } else if (this.#cursors.length === 1) {
      this.#body.prepend(fresh)
      for (const last of [...this.#body.rows].slice(PAGE_SIZE)) {
        last.remove()
        this.#rows.delete(last.dataset.file ?? '')
      }
    } else {
      return
    }
    this.#rows.set(record.filename, fresh)
    this.#empty.hidden = true
  }

  remove (name: string): void {
    this.#rows.get(name)?.remove()
    this.#rows.delete(name)
    this.#empty.hidden = this.#rows.size > 0
  }

  #matches (record: FileRecord): boolean {
    return (this.#status.value === '' || record.status === this.#status.value) && record.filename.startsWith(this.#prefix.value)
  }

  async #load (): Promise<void> {
    const loading = ++this.#loading
    const cursor = this.#cursors.at(-1)
    try {
      const page = await listFiles({ status: this.#status.value, prefix: this.#prefix.value, cursor, limit: PAGE_SIZE })
      if (loading !== this.#loading) return
      this.#nextCursor = page.nextCursor
      this.#rows = new Map(page.items.map(record => [record.filename, this.#row(record)]))
      this.#body.replaceChildren(...this.#rows.values())
      this.#empty.hidden = page.items.length > 0
      this.#error.hidden = true
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.#options.unauthorized()
      this.#error.textContent = `The list could not be loaded: ${err instanceof Error ? err.message : String(err)}`
      this.#error.hidden = false
    }
    this.#next.disabled = this.#nextCursor === null
    this.#first.disabled = this.#cursors.length === 1
    this.#label.textContent = `Page ${this.#cursors.length}`
  }

  #row (record: FileRecord): HTMLTableRowElement {
    return h('tr', { 'data-file': record.filename },
      h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => this.#options.open(record.filename) }, record.filename)),
      h('td', {}, statusBadge(record)),
      // A multipart upload declares no size: 0 until the object arrives.
      h('td', { class: 'num' }, record.status === 'uploading' && record.file_size_bytes === 0 ? '—' : bytes(record.file_size_bytes)),
      h('td', { class: 'num' }, count(record.row_count)),
      h('td', { class: 'num' }, count(record.column_count)),
      h('td', {}, when(record.upload_timestamp)))
  }
}

/** The status as a coloured word, with the error's code for a failed file. */
export function statusBadge (record: Pick<FileRecord, 'status' | 'error'>): HTMLElement {
  return h('span', { class: `badge badge-${record.status}` }, record.status, record.error === undefined ? null : ` (${record.error.code})`)
}
