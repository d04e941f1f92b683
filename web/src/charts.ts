// Small SVG charts of a column profile: the share of null or empty fields per column, and the spread of each
// numeric column (min to max, with its mean). Each has a text equivalent for screen readers.
import type { ColumnProfile, FileProfile } from './api.ts'
import { s } from './dom.ts'
import { percent } from './format.ts'

// Drawn at 400 units wide and shown at most that many pixels wide: text keeps its size, and shrinks little on a phone.
const ROW = 22
const LABEL = 110
const WIDTH = 400
const BAR = WIDTH - LABEL - 52

/** Fields without a value (empty or a null token) as a share of the rows. */
export function missingShare (column: ColumnProfile, rows: number): number {
  return rows === 0 ? 0 : (column.nulls + column.empty) / rows
}

/** One bar per column: how much of it is missing. */
export function nullShareChart (profile: FileProfile): SVGElement {
  const height = profile.columns.length * ROW + 4
  const summary = profile.columns.map(column => `${column.name} ${percent(missingShare(column, profile.rows))}`).join(', ')
  return s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart', role: 'img', 'aria-label': `Missing values per column: ${summary}` },
    s('title', {}, 'Missing values (empty or null) per column'),
    ...profile.columns.map((column, i) => {
      const share = missingShare(column, profile.rows)
      const y = i * ROW + 2
      return s('g', {},
        s('text', { x: LABEL - 8, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, clip(column.name)),
        s('rect', { x: LABEL, y: y + 3, width: BAR, height: ROW - 8, class: 'chart-track', rx: 3 }),
        s('rect', { x: LABEL, y: y + 3, width: Math.max(share > 0 ? 2 : 0, share * BAR), height: ROW - 8, class: share > 0.5 ? 'chart-bar chart-bar-high' : 'chart-bar', rx: 3 }),
        s('text', { x: LABEL + BAR + 8, y: y + 15, class: 'chart-value' }, percent(share)))
    }))
}

/** Columns whose min and max are numbers. */
export function numericColumns (profile: FileProfile): ColumnProfile[] {
  return profile.columns.filter(column => typeof column.min === 'number' && typeof column.max === 'number')
}

/** Per numeric column, a line from its min to its max (each on its own scale) and a dot at its mean. */
export function spreadChart (columns: ColumnProfile[]): SVGElement {
  const height = columns.length * (ROW + 8) + 4
  const summary = columns.map(c => `${c.name} from ${c.min} to ${c.max}${c.mean === null ? '' : `, mean ${round(c.mean)}`}`).join('; ')
  return s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart', role: 'img', 'aria-label': `Spread of numeric columns: ${summary}` },
    s('title', {}, 'Spread of numeric columns: min to max, dot at the mean'),
    ...columns.map((column, i) => {
      const min = column.min as number
      const max = column.max as number
      const y = i * (ROW + 8) + 2
      const left = LABEL + 36
      const span = BAR - 72
      const mean = column.mean === null || max === min ? undefined : left + ((column.mean - min) / (max - min)) * span
      return s('g', {},
        s('text', { x: LABEL - 8, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, clip(column.name)),
        s('text', { x: left - 6, y: y + 15, 'text-anchor': 'end', class: 'chart-value' }, round(min)),
        s('line', { x1: left, x2: left + span, y1: y + 11, y2: y + 11, class: 'chart-range' }),
        s('line', { x1: left, x2: left, y1: y + 5, y2: y + 17, class: 'chart-range' }),
        s('line', { x1: left + span, x2: left + span, y1: y + 5, y2: y + 17, class: 'chart-range' }),
        mean === undefined ? null : s('circle', { cx: mean, cy: y + 11, r: 5, class: 'chart-mean' }),
        s('text', { x: left + span + 6, y: y + 15, class: 'chart-value' }, round(max)))
    }))
}

function round (n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4).replace(/\.?0+$/, '')
}

function clip (name: string): string {
  return name.length > 14 ? `${name.slice(0, 13)}…` : name
}
