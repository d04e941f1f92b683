// The rules an upload filename must follow, with a reason a person can act on when it breaks one.

export const MAX_FILENAME_LENGTH = 255

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/

/** Returns why `filename` is not acceptable as an upload name, or undefined when it is. */
export function filenameProblem (filename: string): string | undefined {
  if (filename.length === 0) return 'filename must not be empty'
  if (filename.length > MAX_FILENAME_LENGTH) {
    return `filename must be at most ${MAX_FILENAME_LENGTH} characters, got ${filename.length}`
  }
  if (filename.includes('/') || filename.includes('\\')) {
    return 'filename must not contain "/" or "\\"; folders are not supported'
  }
  if (CONTROL_CHARACTERS.test(filename)) return 'filename must not contain control characters'
  if (filename.startsWith('.')) return 'filename must not start with "."'
  if (!filename.toLowerCase().endsWith('.csv')) {
    return 'filename must end in ".csv" after a name, e.g. "example.csv"'
  }
  return undefined
}
