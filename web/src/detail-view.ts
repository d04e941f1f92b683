// One file's detail: its metadata, its verdict (error or warnings), its column profile with charts, and the
// download and delete actions.
import { ApiError, apiKey, deleteFile, downloadPath, FINAL_STATUSES, getFile, getProfile, type FileProfile, type FileRecord } from './api.ts'
import { nullShareChart, numericColumns, spreadChart, missingShare } from './charts.ts'
import { byId, h } from './dom.ts'
import { statusBadge } from './files-view.ts'
import { bytes, count, percent, when } from './format.ts'

export class DetailView {
  readonly #section = byId('detail')
  readonly #heading = byId('detail-heading')
  readonly #body = byId('detail-body')
  #name: string | undefined
  #status: string | undefined
  #opening = 0

  /** The file shown now, if any. */
  get name (): string | undefined {
    return this.#name
  }

  async open (name: string, focus = true): Promise<void> {
    const opening = ++this.#opening
    // Another file's facts must not stand under this file's name while it loads.
    if (name !== this.#name) this.#body.replaceChildren(h('p', { class: 'muted' }, 'Loading…'))
    this.#name = name
    this.#section.hidden = false
    this.#heading.textContent = name
    if (focus) this.#section.focus()
    try {
      const record = await getFile(name)
      const profile = FINAL_STATUSES.has(record.status) ? await getProfile(name) : { missing: 'The profile appears once the file is processed.' }
      if (opening === this.#opening) this.#render(record, profile)
    } catch (err) {
      if (opening !== this.#opening) return
      this.#body.replaceChildren(h('p', { class: 'error', role: 'alert' }, err instanceof ApiError && err.code === 'file-not-found'
        ? `${name} is not there any more.`
        : `The file could not be read: ${err instanceof Error ? err.message : String(err)}`))
    }
  }

  /** A record from the feed: shown again when it is this file's and its status moved. */
  update (record: FileRecord): void {
    if (record.filename === this.#name && record.status !== this.#status) this.open(record.filename, false).catch(console.error)
  }

  deleted (name: string): void {
    if (name !== this.#name) return
    this.#status = 'deleted'
    this.#body.replaceChildren(h('p', { class: 'muted', role: 'status' }, `${name} was deleted.`))
  }

  #render (record: FileRecord, profile: { profile: FileProfile } | { missing: string }): void {
    this.#status = record.status
    this.#body.replaceChildren(
      h('div', { class: 'actions' },
        this.#downloadControl(record),
        h('button', { type: 'button', class: 'danger', onclick: () => this.#delete(record.filename) }, 'Delete')),
      h('dl', { class: 'facts' },
        ...fact('Status', statusBadge(record)),
        ...fact('Size', record.file_size_bytes < 1024 ? bytes(record.file_size_bytes) : `${bytes(record.file_size_bytes)} (${count(record.file_size_bytes)} bytes)`),
        ...fact('Uploaded', when(record.upload_timestamp)),
        ...fact('Processed', when(record.processed_at)),
        ...fact('Rows', count(record.row_count)),
        ...fact('Columns', count(record.column_count)),
        ...fact('Encoding', record.encoding === undefined ? '—' : `${record.encoding}${record.compression === 'gzip' ? ', gzip' : ''}`),
        ...fact('Dialect', record.dialect === undefined ? '—' : dialect(record.dialect)),
        ...fact('ETag', h('code', {}, record.etag === '' ? '—' : record.etag))),
      verdict(record),
      'profile' in profile ? profileSection(profile.profile, record) : noProfile(record, profile.missing))
  }

  #downloadControl (record: FileRecord): HTMLElement {
    if (!FINAL_STATUSES.has(record.status)) return h('span', { class: 'muted' }, 'Download once uploaded')
    if (apiKey() === undefined) return h('a', { class: 'button', href: downloadPath(record.filename), download: record.filename }, 'Download')
    // A link cannot carry the key, and the bucket does not let pages read its objects: the command that can.
    const url = new URL(downloadPath(record.filename), window.location.href).href.replaceAll("'", '%27')
    return h('details', { class: 'download-key' },
      h('summary', {}, 'Download (needs the key)'),
      h('p', { class: 'muted' }, 'With an API key a link cannot carry it; download with:'),
      h('code', {}, `curl -LOJ -H "Authorization: Bearer $API_KEY" '${url}'`))
  }

  async #delete (name: string): Promise<void> {
    if (!window.confirm(`Delete ${name}? The file and its metadata are removed.`)) return
    try {
      await deleteFile(name)
      this.#body.prepend(h('p', { class: 'muted', role: 'status' }, `Deleting ${name}…`))
    } catch (err) {
      this.#body.prepend(h('p', { class: 'error', role: 'alert' }, `Not deleted: ${err instanceof Error ? err.message : String(err)}`))
    }
  }
}

function fact (term: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)]
}

const DELIMITERS: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' }

function dialect (d: NonNullable<FileRecord['dialect']>): string {
  const delimiter = DELIMITERS[d.delimiter] ?? `"${d.delimiter}"`
  return `${delimiter}-separated, ${d.header ? 'a header row' : 'no header row'}, quote ${d.quote} (${d.decided_by})`
}

function verdict (record: FileRecord): HTMLElement {
  if (record.error !== undefined) {
    return h('section', { class: 'verdict verdict-failed', 'aria-labelledby': 'verdict-heading' },
      h('h3', { id: 'verdict-heading' }, 'Why it failed'),
      h('p', {}, h('code', {}, record.error.code), ' ', record.error.message, record.error.line === undefined ? null : ` (line ${record.error.line})`))
  }
  if (record.status !== 'processed') {
    return h('section', { class: 'verdict', 'aria-labelledby': 'verdict-heading' },
      h('h3', { id: 'verdict-heading' }, 'Verdict'),
      h('p', { class: 'muted' }, record.status === 'uploading' ? 'Waiting for the upload to arrive.' : 'Being read now.'))
  }
  const warnings = record.warnings ?? []
  return h('section', { class: warnings.length === 0 ? 'verdict verdict-ok' : 'verdict verdict-warn', 'aria-labelledby': 'verdict-heading' },
    h('h3', { id: 'verdict-heading' }, warnings.length === 0 ? 'Read without warnings' : `${warnings.length} warning(s)`),
    warnings.length === 0
      ? null
      : h('ul', {}, ...warnings.map(w => h('li', {}, h('code', {}, w.code), ' ', w.message, w.line === undefined ? null : ` (line ${w.line})`))))
}

function noProfile (record: FileRecord, why: string): HTMLElement {
  return h('section', { class: 'profile', 'aria-labelledby': 'profile-heading' },
    h('h3', { id: 'profile-heading' }, 'Column profile'),
    h('p', { class: 'muted no-profile' }, `No profile. ${why}`),
    record.column_names === undefined || record.column_names.length === 0
      ? null
      : h('p', {}, 'Columns: ', ...record.column_names.flatMap((name, i) => [i === 0 ? '' : ', ', h('code', {}, name)])))
}

function profileSection (profile: FileProfile, record: FileRecord): HTMLElement {
  const numeric = numericColumns(profile)
  return h('section', { class: 'profile', 'aria-labelledby': 'profile-heading' },
    h('h3', { id: 'profile-heading' }, 'Column profile'),
    h('p', { class: 'muted' }, `${count(profile.rows)} rows profiled · SHA-256 `, h('code', {}, profile.sha256.slice(0, 16), '…')),
    h('div', { class: 'charts' },
      h('figure', {}, nullShareChart(profile), h('figcaption', {}, 'Missing values (empty or null) per column')),
      numeric.length === 0 ? null : h('figure', {}, spreadChart(numeric), h('figcaption', {}, 'Numeric columns: min to max, dot at the mean'))),
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, `Columns of ${record.filename}`),
        h('thead', {}, h('tr', {}, ...['Column', 'Type', 'Missing', 'Distinct', 'Min', 'Max', 'Samples'].map(name => h('th', { scope: 'col' }, name)))),
        h('tbody', {}, ...profile.columns.map(column => h('tr', {},
          h('th', { scope: 'row' }, column.name),
          h('td', {}, column.type, column.formats.length === 0 ? null : h('span', { class: 'muted' }, ` ${column.formats.join(', ')}`)),
          h('td', { class: 'num' }, percent(missingShare(column, profile.rows))),
          h('td', { class: 'num' }, `${column.distinct.exact ? '' : '≈'}${count(column.distinct.count)}`),
          h('td', {}, column.min === null ? '—' : String(column.min)),
          h('td', {}, column.max === null ? '—' : String(column.max)),
          h('td', { class: 'samples' }, ...column.samples.flatMap((sample, i) => [i === 0 ? '' : ' · ', h('span', {}, sample)])))))))
  )
}
