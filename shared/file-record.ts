// The metadata record of one uploaded file: its statuses, its schema (shared by the API and the docs), and how
// the outcome of reading a file becomes a record.
import Type, { type Static } from 'typebox'
import { ColumnSummary, summarizeColumns, type FileProfile } from './column-profile.ts'
import type { ProcessingError } from './processing-error.ts'
import { ByteOffset, ProblemCount } from './problems.ts'
import { unquotedEtag } from './s3-object.ts'

/**
 * Every status a record can have: `uploading` from the moment an upload URL is issued until S3 reports the object
 * (or the URL expires); `deleted` is a tombstone the API never shows.
 */
export const Status = {
  uploading: 'uploading',
  processing: 'processing',
  processed: 'processed',
  failed: 'failed',
  deleted: 'deleted'
} as const

export type Status = typeof Status[keyof typeof Status]

export const Issue = Type.Object({
  code: Type.String({ description: 'Stable machine-readable code (see the README table).', examples: ['extra-cell'] }),
  message: Type.String({ description: 'What is wrong and what to do about it.' }),
  line: Type.Optional(Type.Integer({ description: 'First offending line of the file (1-based), where one applies.' })),
  byte: Type.Optional(ByteOffset)
}, { description: 'A problem found in the file.' })

export const Encoding = Type.Enum(['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252'], {
  description: 'How the text was encoded: UTF-8 (with a byte order mark or without), UTF-16 with a BOM, or Windows-1252 when bytes are not UTF-8.',
  examples: ['utf-8']
})

export const Compression = Type.Union([Type.Literal('gzip'), Type.Null()], {
  description: '`gzip` when the object was gzip-compressed (it was read decompressed), else null.',
  examples: [null]
})

export const Dialect = Type.Object({
  delimiter: Type.String({ description: 'The character between fields.', examples: [',', ';', '\t', '|'] }),
  quote: Type.String({ description: 'The character that quotes a field.', examples: ['"'] }),
  escape: Type.String({ description: 'What escapes a quote inside a quoted field: the quote itself (doubled) or a backslash.', examples: ['"'] }),
  header: Type.Boolean({ description: 'Whether the first row names the columns; when not, columns are named column_1, column_2, … and the first row is counted.' }),
  comment: Type.Union([Type.String(), Type.Null()], { description: 'The character that starts a comment line (skipped), or null.', examples: [null, '#'] }),
  preamble_lines: Type.Integer({ minimum: 0, description: 'Lines skipped before the CSV itself: 1 for an Excel `sep=` line.' }),
  decided_by: Type.String({ description: 'Why this dialect: the `sep=` line, the sniffed consistency of the first rows, or the default.', examples: ['sniffed: 98 of 100 rows have 5 fields'] })
}, { description: 'How the file is written, detected from its first 64 KiB and then held for the whole file.' })

export const FileMetadata = Type.Object({
  filename: Type.String({ description: 'The S3 object key of the file.', examples: ['example.csv'] }),
  upload_timestamp: Type.String({ format: 'date-time', description: 'When S3 received the object (ISO 8601, UTC).' }),
  file_size_bytes: Type.Integer({ minimum: 0, description: 'Size of the object in bytes.' }),
  status: Type.Enum([Status.uploading, Status.processing, Status.processed, Status.failed], {
    description: '`uploading` from the moment an upload URL is issued until the object arrives, `processing` while the handler reads the file, then `processed` or `failed`.'
  }),
  row_count: Type.Optional(Type.Integer({ minimum: 0, description: 'Data rows, header excluded; a newline inside quotes does not start a row.' })),
  column_count: Type.Optional(Type.Integer({ minimum: 0, description: 'Number of columns in the header.' })),
  column_names: Type.Optional(Type.Array(Type.String(), { description: 'Column names from the header, in order.' })),
  warnings: Type.Optional(Type.Array(Issue, { description: 'Recoverable oddities found while processing.' })),
  encoding: Type.Optional(Encoding),
  compression: Type.Optional(Compression),
  dialect: Type.Optional(Dialect),
  sha256: Type.Optional(Type.String({
    description: 'SHA-256 of the object as stored (hex), when processed: the same file uploaded twice has the same one.',
    examples: ['9272e2cae2011e5177bababc78352a9e7c96d692bc4c5287342f6d4920a83cc4']
  })),
  columns: Type.Optional(Type.Array(ColumnSummary, {
    description: 'When processed, each column at a glance (type, empty and null counts, distinct count), in header order. The whole profile (bounds, lengths, mean, formats, samples) is GET /files/{name}/profile.',
    examples: [[{ name: 'age', type: 'integer', empty: 0, nulls: 0, distinct: { count: 2, exact: true } }]]
  })),
  error: Type.Optional(Issue),
  errors: Type.Optional(Type.Array(ProblemCount, {
    description: 'When `failed`: every problem found before reading stopped, one entry per code (the code of `error` first), each counted, with its first 5 occurrences located. A file with ragged rows is read to its end, so every one is counted.',
    examples: [[{ code: 'extra-cell', count: 3, examples: [{ line: 3, byte: 8, message: 'Line 3 has 3 fields but the header has 2 (delimiter ","). Every row needs one value per column.' }] }]]
  })),
  processed_at: Type.Optional(Type.String({ format: 'date-time', description: 'When processing finished (ISO 8601, UTC).' })),
  etag: Type.String({ description: "The object's ETag, without quotes; empty while `uploading`." }),
  upload_expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'While `uploading`: when the upload URL expires. A file still `uploading` a minute after that is gone (404 upload-expired).' })),
  updated_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the record last changed (ISO 8601, UTC, milliseconds); the event stream (GET /events) is ordered by it.' })),
  details_omitted: Type.Optional(Type.Boolean({
    description: 'True when column_names, warnings and columns are left out: GET /files leaves out those too large for the table (GET /files/{name} returns them); either route, those whose object in the bucket was deleted.'
  }))
}, {
  $id: 'FileMetadata',
  description: 'Metadata extracted from one uploaded CSV file.',
  examples: [{
    filename: 'example.csv',
    upload_timestamp: '2026-11-24T10:30:45.000Z',
    file_size_bytes: 85,
    status: 'processed',
    row_count: 2,
    column_count: 5,
    column_names: ['id', 'name', 'age', 'city', 'date'],
    warnings: [],
    encoding: 'utf-8',
    compression: null,
    dialect: { delimiter: ',', quote: '"', escape: '"', header: true, comment: null, preamble_lines: 0, decided_by: 'sniffed: 3 of 3 rows have 5 fields' },
    sha256: '9272e2cae2011e5177bababc78352a9e7c96d692bc4c5287342f6d4920a83cc4',
    columns: [
      { name: 'id', type: 'integer', empty: 0, nulls: 0, distinct: { count: 2, exact: true } },
      { name: 'name', type: 'string', empty: 0, nulls: 0, distinct: { count: 2, exact: true } },
      { name: 'age', type: 'integer', empty: 0, nulls: 0, distinct: { count: 2, exact: true } },
      { name: 'city', type: 'string', empty: 0, nulls: 0, distinct: { count: 2, exact: true } },
      { name: 'date', type: 'date', empty: 0, nulls: 0, distinct: { count: 2, exact: true } }
    ],
    processed_at: '2026-11-24T10:30:45.120Z',
    etag: '0d8c5a2c3f0b0f4b2f9a8d4c6e1b7a90',
    updated_at: '2026-11-24T10:30:45.121Z'
  }]
})

/** Warnings of one code a record keeps; the rest are counted in one `more-warnings` warning. */
export const MAX_WARNINGS_PER_CODE = 10

/**
 * Where a record too large for one DynamoDB item is kept, as JSON, in the upload bucket. No API upload can land
 * there (filenames may not start with "." or hold "/"), and the handler and reconcile leave these objects alone.
 */
export const RECORD_OBJECT_PREFIX = '.metadata/'

export function isRecordObjectKey (key: string): boolean {
  return key.startsWith(RECORD_OBJECT_PREFIX)
}

export type FileMetadata = Static<typeof FileMetadata>
export type Issue = Static<typeof Issue>
export type Encoding = Static<typeof Encoding>
export type Compression = Static<typeof Compression>
export type Dialect = Static<typeof Dialect>

/** What S3 says about the object whose event is being processed. */
export interface UploadedObject {
  key: string
  /** When S3 received the object (the event's eventTime). */
  eventTime: string
  size: number
  etag: string
}

/** What reading a file yields: the fields of a processed record that come from its content. */
export type ExtractedMetadata = Required<Pick<FileMetadata, 'row_count' | 'column_count' | 'column_names' | 'warnings' | 'encoding' | 'compression' | 'dialect'>>

/** How long after its upload URL expires an `uploading` record still counts: a PUT begun just before may still land. */
export const UPLOAD_GRACE_MS = 60_000

/** The record of a file whose upload URL was just issued: it exists, with no object yet. */
export function uploadingRecord (filename: string, issuedAt: Date, expiresAt: Date, declaredSize = 0): FileMetadata {
  return {
    filename,
    upload_timestamp: issuedAt.toISOString(),
    file_size_bytes: declaredSize,
    etag: '',
    status: Status.uploading,
    upload_expires_at: expiresAt.toISOString()
  }
}

/** Whether `record` is an `uploading` record whose URL expired (plus the grace) before any upload arrived. */
export function isExpiredUpload (record: { status: string, upload_expires_at?: string | undefined }, now = Date.now()): boolean {
  return record.status === Status.uploading && Date.parse(record.upload_expires_at ?? '') + UPLOAD_GRACE_MS < now
}

/** The record of a file whose processing has just begun. */
export function processingRecord (object: UploadedObject): FileMetadata {
  return {
    filename: object.key,
    upload_timestamp: new Date(object.eventTime).toISOString(),
    file_size_bytes: object.size,
    etag: unquotedEtag(object.etag),
    status: Status.processing
  }
}

/**
 * The final record: the metadata of the version that was read, with its profile's summary (the whole profile is
 * kept apart: it can be far larger than an item), or the verdict on why it could not be read.
 */
export function verdictRecord (
  started: FileMetadata,
  outcome: { metadata: ExtractedMetadata, profile?: FileProfile | undefined, etag: string, size: number } | ProcessingError,
  processedAt = new Date()
): FileMetadata {
  const at = processedAt.toISOString()
  if ('metadata' in outcome) {
    const metadata = { ...outcome.metadata, warnings: capWarnings(outcome.metadata.warnings) }
    const summary = outcome.profile === undefined ? {} : { sha256: outcome.profile.sha256, columns: summarizeColumns(outcome.profile) }
    return { ...started, etag: unquotedEtag(outcome.etag), file_size_bytes: outcome.size, ...metadata, ...summary, status: Status.processed, processed_at: at }
  }
  const error = { code: outcome.code, message: outcome.message, ...(outcome.line === undefined ? {} : { line: outcome.line }), ...(outcome.byte === undefined ? {} : { byte: outcome.byte }) }
  return { ...started, status: Status.failed, error, errors: outcome.problems, processed_at: at }
}

/**
 * `warnings` with at most MAX_WARNINGS_PER_CODE of each code, in order, then one `more-warnings` counting the rest:
 * a header of 10,000 copies of one name gives 10 duplicate-label warnings and a count, not 9,999 warnings.
 */
export function capWarnings (warnings: Issue[]): Issue[] {
  const seen = new Map<string, number>()
  const kept = warnings.filter(({ code }) => {
    seen.set(code, (seen.get(code) ?? 0) + 1)
    return seen.get(code)! <= MAX_WARNINGS_PER_CODE
  })
  const left = [...seen].filter(([, count]) => count > MAX_WARNINGS_PER_CODE).map(([code, count]) => [code, count - MAX_WARNINGS_PER_CODE] as const)
  if (left.length === 0) return kept
  const total = left.reduce((sum, [, count]) => sum + count, 0)
  return [...kept, {
    code: 'more-warnings',
    message: `${total} more warning(s) like the ones above were left out: ${left.map(([code, count]) => `${count} ${code}`).join(', ')}.`
  }]
}
