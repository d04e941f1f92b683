// Request and response schemas of the HTTP API; they validate requests and write the OpenAPI document.
import { STATUS_CODES } from 'node:http'
import Type from 'typebox'
import { MAX_FILENAME_LENGTH } from '../shared/filename.ts'
import { Status } from '../shared/file-record.ts'
import { fileNotFound } from './file-lookup.ts'

export const FileMetadataRef = Type.Ref('FileMetadata')

/** What one error response looks like, for its example in the docs. */
export interface ProblemExample {
  status: number
  code: string
  detail: string
  instance?: string
}

/**
 * An error response: RFC 9457 problem details, served as application/problem+json. With `example`, the docs show
 * that answer, instead of the generic example of the Problem schema.
 */
export function problem (description: string, example?: ProblemExample) {
  const media = { schema: Type.Ref('Problem') }
  if (example === undefined) return { description, content: { 'application/problem+json': media } }
  const { status, code, detail, instance = '/files/missing.csv' } = example
  return {
    description,
    content: {
      'application/problem+json': {
        ...media,
        example: { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code, detail, instance, requestId: 'req-1' }
      }
    }
  }
}

/** The errors most routes can answer, each with its own example. */
export const COMMON_PROBLEMS = {
  401: problem('API_KEY is set and the request has no valid key (unauthorized).',
    { status: 401, code: 'unauthorized', detail: 'This API needs a key: send it as `Authorization: Bearer <API_KEY>`.', instance: '/files' }),
  503: problem('DynamoDB or S3 cannot be reached (service-unavailable).',
    { status: 503, code: 'service-unavailable', detail: 'dynamodb:MetadataTable cannot be reached (ECONNREFUSED). Retry shortly; GET /ready shows the state of each dependency.', instance: '/files' }),
  500: problem('Unexpected error (internal-error).',
    { status: 500, code: 'internal-error', detail: 'Something went wrong on our side. Quote request id req-1 when reporting it.', instance: '/files' })
}

/** 404 for a name with no file, or whose upload URL expired before anything arrived. */
export const FILE_NOT_FOUND = problem('No file of that name (file-not-found), or its upload URL expired before the file arrived (upload-expired).', {
  status: 404,
  code: 'file-not-found',
  detail: fileNotFound('missing.csv').message
})

export const UploadRequest = Type.Object({
  filename: Type.String({
    minLength: 1,
    maxLength: MAX_FILENAME_LENGTH,
    description: 'Name of the CSV file: 1-255 characters ending in ".csv", ".tsv" or ".txt", optionally followed by ".gz" (any case), after a name that is not only spaces, in Unicode NFC, without a leading dot, "/", "\\" or a character that looks like one, control characters, line separators or bidirectional text controls. It becomes the S3 object key and the `filename` of its metadata.',
    examples: ['example.csv']
  }),
  contentLength: Type.Optional(Type.Integer({
    minimum: 0,
    description: 'Size of the file in bytes. When given, it is checked against the upload limit and signed into the URL: the PUT must send exactly this Content-Length.',
    examples: [85]
  }))
}, { examples: [{ filename: 'example.csv' }] })

export const UploadTicket = Type.Object({
  filename: Type.String({ description: 'The filename, as requested.', examples: ['example.csv'] }),
  bucket: Type.String({ description: 'The bucket the file goes to.', examples: ['test-bucket'] }),
  key: Type.String({ description: 'The object key the URL writes.', examples: ['example.csv'] }),
  uploadUrl: Type.String({ format: 'uri', description: 'SigV4 presigned S3 PUT URL for exactly this key. Send the file as the body of a PUT: curl -X PUT -T example.csv "<uploadUrl>".' }),
  method: Type.Literal('PUT', { description: 'The HTTP method to use with uploadUrl.' }),
  headers: Type.Record(Type.String(), Type.String(), { description: 'Headers the PUT must carry (empty when none are required).', examples: [{}] }),
  expiresAt: Type.String({ format: 'date-time', description: 'When uploadUrl stops working (ISO 8601, UTC).' })
}, {
  description: 'Where and how to upload the file.',
  examples: [{
    filename: 'example.csv',
    bucket: 'test-bucket',
    key: 'example.csv',
    uploadUrl: 'http://127.0.0.1:4566/test-bucket/example.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T103045Z&X-Amz-Expires=900&X-Amz-Signature=...&X-Amz-SignedHeaders=host',
    method: 'PUT',
    headers: {},
    expiresAt: '2026-11-24T10:45:45.000Z'
  }]
})

/** An instant in a query string: ISO 8601 with a time zone, e.g. 2026-11-24T10:30:00Z. */
const Instant = (description: string) => Type.Optional(Type.String({ format: 'date-time', description, examples: ['2026-11-24T10:30:00Z'] }))

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Most items DynamoDB reads for the page (default 50).' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The nextCursor of the previous page (with the same filters).' })),
  status: Type.Optional(Type.Enum([Status.uploading, Status.processing, Status.processed, Status.failed], { description: 'Only files with this status.' })),
  prefix: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_FILENAME_LENGTH, description: 'Only files whose name starts with this (case-sensitive).', examples: ['sales-'] })),
  from: Instant('Only files uploaded at or after this instant (ISO 8601 date-time).'),
  to: Instant('Only files uploaded at or before this instant (ISO 8601 date-time).')
}, { additionalProperties: false })

export const FilePage = Type.Object({
  items: Type.Array(FileMetadataRef, { description: 'Files, newest upload first.' }),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= to get the next page; null on the last page.' })
}, { description: 'One page of file metadata.' })

export const FileParams = Type.Object({
  name: Type.String({
    minLength: 1,
    description: 'The filename (object key), as it is: Swagger UI encodes it. In a URL you write yourself, percent-encode it (encodeURIComponent): `reports/q1.csv` is `reports%2Fq1.csv`.',
    examples: ['example.csv']
  })
})

export const FileQuery = Type.Object({
  wait: Type.Optional(Type.Integer({
    minimum: 0,
    maximum: 30,
    default: 0,
    description: 'Seconds to wait for a final status (processed or failed): the answer comes as soon as the file has one, or when the wait ends (then with the status it has, or 404).'
  }))
}, { additionalProperties: false })

export const NoQuery = Type.Object({}, { additionalProperties: false })

export const Deleting = Type.Object({
  filename: Type.String({ description: 'The file being deleted.', examples: ['example.csv'] }),
  status: Type.Literal('deleting', { description: 'The object is deleted; the record goes once S3 reports it (GET /files/{name} then answers 404).' })
}, { description: 'The deletion has been made.' })

export const Health = Type.Object({
  status: Type.Literal('ok', { description: 'The process is up.' })
})

export const Ready = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Record(Type.String(), Type.String(), { description: 'Each dependency and its state.', examples: [{ 's3://test-bucket': 'ok', 'dynamodb:MetadataTable': 'ok' }] })
})
