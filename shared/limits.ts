// How large a row and how wide a header may be before a file is refused: protects memory from runaway input.

export interface ExtractLimits {
  /** Largest record (all fields of one row), in characters. */
  maxRecordBytes: number
  /** Most columns a header may have. */
  maxColumns: number
}

export const DEFAULT_LIMITS: ExtractLimits = {
  maxRecordBytes: 64 * 1024 * 1024,
  maxColumns: 10_000
}
