// How large a row, how wide a header and how large a decompressed body may be before a file is refused: protects
// memory and the handler's time from runaway input.

export interface ExtractLimits {
  /** Largest record (all fields of one row), in characters. */
  maxRecordBytes: number
  /** Most columns a header may have. */
  maxColumns: number
  /** Most bytes a gzip body may inflate to: a decompression bomb is refused before the handler's timeout. */
  maxDecompressedBytes: number
}

export const DEFAULT_LIMITS: ExtractLimits = {
  maxRecordBytes: 64 * 1024 * 1024,
  maxColumns: 10_000,
  // gunzip and scan together run at ~180 MB/s on one core: 16 GiB takes ~95 s, well within the handler's 5-minute
  // timeout on a slower Lambda core, so a bomb ends in a verdict rather than three timeouts.
  maxDecompressedBytes: 16 * 1024 ** 3
}
