// XML in and out: S3's response documents with every key escaped, and request bodies parsed by fast-xml-parser.
import { XMLParser, XMLValidator } from 'fast-xml-parser'

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/'

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&apos;' }

/**
 * Text escaped for an XML element. Control characters become character references as S3 writes them (those XML 1.0
 * cannot carry are why clients ask for encoding-type=url); CR, LF and tab too, so parsers do not normalize them.
 */
export function escapeXml (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[&<>"']|[\u0000-\u001f\u007f]/g, c => ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`)
}

/** `<name>text</name>`, escaped; children given as an array are already XML. */
export function xmlElement (name: string, content: string | number | boolean | string[]): string {
  const inner = Array.isArray(content) ? content.join('') : escapeXml(String(content))
  return `<${name}>${inner}</${name}>`
}

/** A whole response document with S3's namespace on its root element. */
export function xmlDocument (root: string, children: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NAMESPACE}">${children.join('')}</${root}>`
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  isArray: name => name === 'Part' || name === 'Object'
})

/** A request body parsed to plain objects (strings for values); undefined when it is not well-formed or has a DTD. */
export function parseXml (body: Buffer): Record<string, unknown> | undefined {
  const text = body.toString('utf8')
  // S3 takes no document type declarations: no entity can expand, nothing is fetched.
  if (/<!DOCTYPE|<!ENTITY/i.test(text) || XMLValidator.validate(text) !== true) return undefined
  const parsed: unknown = parser.parse(text)
  return typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : undefined
}
