// Makes text from files and keys safe to print to a terminal: control characters become visible escapes.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** `text` with every control, line-separator and bidi-control character written as \uXXXX. */
export function printable (text: string): string {
  return text.replace(CONTROL, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
