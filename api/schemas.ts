// Request and response schemas of the HTTP API; they validate requests and write the OpenAPI document.
import Type from 'typebox'
import { MAX_FILENAME_LENGTH } from '../shared/filename.ts'

export const FileMetadataRef = Type.Ref('FileMetadata')

/** An error response: RFC 9457 problem details, served as application/problem+json. */
export function problem (description: string) {
  return { description, content: { 'application/problem+json': { schema: Type.Ref('Problem') } } }
}

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

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Most items in the page.' }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The nextCursor of the previous page.' }))
})

export const FilePage = Type.Object({
  items: Type.Array(FileMetadataRef, { description: 'Files, newest upload first.' }),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= to get the next page; null on the last page.' })
}, { description: 'One page of file metadata.' })

export const FileParams = Type.Object({
  name: Type.String({ minLength: 1, description: 'The filename (object key), URL-encoded.', examples: ['example.csv'] })
})

export const Health = Type.Object({
  status: Type.Literal('ok', { description: 'The process is up.' })
})

export const Ready = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Record(Type.String(), Type.String(), { description: 'Each dependency and its state.', examples: [{ 's3://test-bucket': 'ok', 'dynamodb:MetadataTable': 'ok' }] })
})
