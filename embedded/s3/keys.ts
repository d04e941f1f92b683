// Object keys in S3's order (UTF-8 byte order, which is code point order) and the sorted index listings walk.

/** A UTF-16 code unit mapped so that comparing units orders strings by code point: surrogates go above U+FFFF. */
function rank (unit: number): number {
  return unit >= 0xd800 ? (unit < 0xe000 ? unit + 0x2000 : unit - 0x800) : unit
}

/** Compares two keys as S3 orders them: by their UTF-8 bytes. */
export function compareKeys (a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return rank(x) - rank(y)
  }
  return a.length - b.length
}

/** Keys kept sorted, for listings by prefix and marker. */
export class SortedKeys {
  private readonly keys: string[] = []

  get length (): number { return this.keys.length }
  at (index: number): string | undefined { return this.keys[index] }

  /** Index of the first key not before `key` (`inclusive`) or after it. */
  search (key: string, inclusive = true): number {
    let low = 0
    let high = this.keys.length
    while (low < high) {
      const middle = (low + high) >>> 1
      const order = compareKeys(this.keys[middle]!, key)
      if (order < 0 || (!inclusive && order === 0)) low = middle + 1
      else high = middle
    }
    return low
  }

  add (key: string): void {
    const index = this.search(key)
    if (this.keys[index] !== key) this.keys.splice(index, 0, key)
  }

  remove (key: string): void {
    const index = this.search(key)
    if (this.keys[index] === key) this.keys.splice(index, 1)
  }
}
