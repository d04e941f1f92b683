// Why a file could not be turned into metadata: a stable code, a message a person can act on, where, and every
// problem counted before reading stopped.
import type { ProblemCount } from './problems.ts'

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
  /** Where in the text the problem starts (see ByteOffset in problems.ts). */
  readonly byte: number | undefined
  /** Every problem found before reading stopped, by code, this one first: just this one unless the reader counted more. */
  readonly problems: ProblemCount[]

  constructor (code: ErrorCode, message: string, line?: number, byte?: number, problems?: ProblemCount[]) {
    super(message)
    this.code = code
    this.line = line
    this.byte = byte
    this.problems = problems ?? [{ code, count: 1, examples: [{ ...(line === undefined ? {} : { line }), ...(byte === undefined ? {} : { byte }), message }] }]
  }
}
