// Why a file could not be turned into metadata: a stable code, a message a person can act on, and where.

/** Codes stored in `error.code` of a failed record; the README documents each one. */
export const ErrorCode = {
  emptyFile: 'empty-file',
  blankHeader: 'blank-header',
  binaryFile: 'binary-file',
  encodingError: 'encoding-error',
  decompressedTooLarge: 'decompressed-too-large',
  corruptGzip: 'corrupt-gzip',
  unclosedQuote: 'unclosed-quote',
  extraCell: 'extra-cell',
  missingCell: 'missing-cell',
  recordTooLarge: 'record-too-large',
  tooManyColumns: 'too-many-columns',
  malformedCsv: 'malformed-csv',
  objectMissing: 'object-missing'
} as const

export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode]

/** A verdict about the file's content: the record ends `failed`, the invocation succeeds. */
export class ProcessingError extends Error {
  override name = 'ProcessingError'
  readonly code: ErrorCode
  readonly line: number | undefined

  constructor (code: ErrorCode, message: string, line?: number) {
    super(message)
    this.code = code
    this.line = line
  }
}
