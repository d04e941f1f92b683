// The rules an upload filename must follow, with a reason a person can act on when it breaks one.

export const MAX_FILENAME_LENGTH = 255

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/
const LINE_SEPARATORS = /[\u2028\u2029]/
/** Marks that reorder how text is displayed: `evil\u202efdp.csv` shows as "evilvsc.pdf". */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/
/** Characters drawn like "/" or "\": a name holding one looks like a folder path. */
const LOOK_ALIKE_SLASHES = /[\u2044\u2215\u2216\u2571\u2572\u29f8\u29f9\ufe68\uff0f\uff3c]/
/** Half of a UTF-16 surrogate pair without its other half: not text, and no URL can carry it. */
const LONE_SURROGATE = /\p{Cs}/u
/** Spaces and invisible format characters: a name made only of these looks like no name. */
const BLANK = /^[\s\p{Cf}]*$/u
/** Delimited text as it is saved (.csv, .tsv, Excel's .txt), each also gzipped: the extractor reads them all. */
const EXTENSION = /\.(csv|tsv|txt)(\.gz)?$/i

/** Returns why `filename` is not acceptable as an upload name, or undefined when it is. */
export function filenameProblem (filename: string): string | undefined {
  if (filename.length === 0) return 'filename must not be empty'
  if (filename.length > MAX_FILENAME_LENGTH) {
    return `filename must be at most ${MAX_FILENAME_LENGTH} characters, got ${filename.length}`
  }
  if (LONE_SURROGATE.test(filename)) return 'filename must be valid Unicode text: it holds half of a surrogate pair'
  if (filename.includes('/') || filename.includes('\\')) {
    return 'filename must not contain "/" or "\\"; folders are not supported'
  }
  const slash = LOOK_ALIKE_SLASHES.exec(filename)?.[0]
  if (slash !== undefined) return `filename must not contain "${slash}" (${unicode(slash)}), which looks like "/" or "\\"`
  if (CONTROL_CHARACTERS.test(filename)) return 'filename must not contain control characters'
  if (LINE_SEPARATORS.test(filename)) return 'filename must not contain line or paragraph separators (U+2028, U+2029)'
  const bidi = BIDI_CONTROLS.exec(filename)?.[0]
  if (bidi !== undefined) {
    return `filename must not contain bidirectional text controls such as ${unicode(bidi)}: they make a name display as another`
  }
  const nfc = filename.normalize('NFC')
  if (nfc !== filename) {
    return `filename must be in Unicode normalization form NFC, so that names that look the same are the same key: send ${JSON.stringify(nfc)}`
  }
  if (filename.startsWith('.')) return 'filename must not start with "."'
  const extension = EXTENSION.exec(filename)?.[0]
  if (extension === undefined) {
    return 'filename must end in ".csv", ".tsv" or ".txt", or one of them and ".gz", after a name, e.g. "example.csv"'
  }
  if (BLANK.test(filename.slice(0, -extension.length))) return `filename must have a name before "${extension}", not only spaces`
  return undefined
}

function unicode (character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
}
