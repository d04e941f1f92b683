// Text as the bytes of an encoding the extractor reads, for the tests that generate files in every encoding.
import type { Encoding } from '../../shared/file-record.ts'

/** The bytes of `text` in `encoding` (Windows-1252: Latin-1 plus € and –, other characters as "?"). */
export function encode (text: string, encoding: Encoding): Buffer {
  switch (encoding) {
    case 'utf-8': return Buffer.from(text)
    case 'utf-8-bom': return Buffer.from('\ufeff' + text)
    case 'utf-16le': return Buffer.from('\ufeff' + text, 'utf16le')
    case 'utf-16be': return Buffer.from('\ufeff' + text, 'utf16le').swap16()
    case 'windows-1252': return Buffer.from([...text].map(c => c === '€' ? 0x80 : c === '–' ? 0x96 : c.codePointAt(0)! < 0x100 ? c.codePointAt(0)! : 0x3f))
  }
}
