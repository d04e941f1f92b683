// Problems found in a file, as validation tools report them: a count per code, each with its first few located
// examples, in bounded memory however many there are.
import Type, { type Static } from 'typebox'

/** Located examples kept per code; the rest are only counted. */
export const MAX_EXAMPLES = 5

export const LineNumber = Type.Integer({
  minimum: 1,
  description: 'Line of the file (1-based) where the problem is: for a row, the line on which it starts (a quoted field can span lines). CRLF, LF and CR each end one line.'
})

export const ByteOffset = Type.Integer({
  minimum: 0,
  description: 'Byte offset (0-based) where the problem starts (for a row, its first byte) in the file\'s text: decompressed, decoded to UTF-8, a byte order mark counted as its 3 UTF-8 bytes. For an uncompressed UTF-8 file, the offset in the object as stored.',
  examples: [1024]
})

export const ProblemExample = Type.Object({
  line: Type.Optional(LineNumber),
  byte: Type.Optional(ByteOffset),
  message: Type.String({ description: 'What is wrong at this place.' })
}, { description: 'One occurrence of a problem, located.' })

export const ProblemCount = Type.Object({
  code: Type.String({ description: 'Stable machine-readable code (see the README\'s error vocabulary).', examples: ['extra-cell'] }),
  count: Type.Integer({ minimum: 1, description: 'How many times the file has this problem (up to where reading stopped).' }),
  examples: Type.Array(ProblemExample, { maxItems: MAX_EXAMPLES, description: `The first ${MAX_EXAMPLES} occurrences, in file order.` })
}, { description: 'One kind of problem in the file: its code, how often it occurs, and where it first does.' })

export type ProblemExample = Static<typeof ProblemExample>
export type ProblemCount = Static<typeof ProblemCount>

/** Counts problems by code, in the order codes are first seen, keeping the first MAX_EXAMPLES of each. */
export class ProblemTally<Code extends string = string> {
  readonly #counts = new Map<Code, ProblemCount>()

  /** Counts one more `code`; `describe` is called only when its example is kept, so a millionth occurrence costs a count. */
  add (code: Code, describe: () => ProblemExample): void {
    const entry = this.#counts.get(code)
    if (entry === undefined) {
      this.#counts.set(code, { code, count: 1, examples: [describe()] })
      return
    }
    entry.count++
    if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(describe())
  }

  get size (): number {
    return this.#counts.size
  }

  /** How many problems in all. */
  get total (): number {
    let total = 0
    for (const { count } of this.#counts.values()) total += count
    return total
  }

  /** The first problem found: the first example of the first code seen. */
  first (): { code: Code } & ProblemExample | undefined {
    const entry = this.#counts.values().next().value
    return entry === undefined ? undefined : { code: entry.code as Code, ...entry.examples[0]! }
  }

  summary (): ProblemCount[] {
    return [...this.#counts.values()].map(entry => ({ ...entry, examples: [...entry.examples] }))
  }
}
