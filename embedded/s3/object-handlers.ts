// PutObject, GetObject, HeadObject, DeleteObject and DeleteObjects.
import { rm } from 'node:fs/promises'
import { errors, S3Error } from './errors.ts'
import type { BucketContext, Context } from './context.ts'
import { MAX_OBJECT_BYTES, MAX_XML_BYTES } from './context.ts'
import type { StoredObject } from './object-store.ts'
import { openPayload, readPayload } from './payload.ts'
import { header, sendEmpty, sendXml, userMetadata } from './request.ts'
import { sendRange } from './send-range.ts'
import { parseXml, xmlElement } from './xml.ts'
import { MAX_KEY_BYTES, unquotedEtag } from '../../shared/s3-object.ts'

export async function putObject ({ request, bucket, auth }: Context): Promise<void> {
  const payload = openPayload(request.req, auth, MAX_OBJECT_BYTES)
  const staged = await bucket.temp.stage(payload.data)
  const { size, md5, checksum } = payload.result
  const object = await bucket.objects.put(staged, {
    key: request.key,
    size,
    etag: md5,
    contentType: header(request.req, 'content-type') ?? 'binary/octet-stream',
    metadata: userMetadata(request.req)
  }).catch(async (err: unknown) => {
    await rm(staged, { force: true })
    throw err
  })
  sendEmpty(request.res, 200, { etag: `"${object.etag}"`, ...(checksum === undefined ? {} : { [checksum.header]: checksum.value }) })
}

/** The object's headers as S3 sends them with GetObject and HeadObject. */
function objectHeaders (object: StoredObject): Record<string, string | number> {
  return {
    etag: `"${object.etag}"`,
    'last-modified': new Date(object.lastModified).toUTCString(),
    'content-type': object.contentType,
    'accept-ranges': 'bytes',
    ...object.metadata
  }
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`; undefined for no (or an unparsable) range, as S3 ignores those. */
function byteRange (value: string | undefined, size: number): { start: number, end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(value?.trim() ?? '')
  if (match === null || (match[1] === '' && match[2] === '')) return undefined
  const [first, last] = [match[1]!, match[2]!]
  const range = first === ''
    ? { start: Math.max(0, size - Number(last)), end: size - 1 }
    : { start: Number(first), end: last === '' ? size - 1 : Math.min(Number(last), size - 1) }
  if (first !== '' && last !== '' && Number(last) < Number(first)) return undefined
  if (range.start >= size || range.end < range.start) throw errors.invalidRange(size)
  return range
}

/** Whether an If-Match / If-None-Match list names the ETag. */
function matches (list: string, etag: string): boolean {
  return list.split(',').some(item => item.trim() === '*' || unquotedEtag(item.trim().replace(/^W\//, '')) === etag)
}

export async function getObject ({ request, bucket }: Context): Promise<void> {
  const opened = await bucket.objects.open(request.key)
  if (opened === undefined) throw errors.noSuchKey(request.key)
  const { object, file } = opened
  let streaming = false
  try {
    const ifMatch = header(request.req, 'if-match')
    if (ifMatch !== undefined && !matches(ifMatch, object.etag)) throw errors.preconditionFailed('If-Match')
    const ifNoneMatch = header(request.req, 'if-none-match')
    if (ifNoneMatch !== undefined && matches(ifNoneMatch, object.etag)) {
      sendEmpty(request.res, 304, { etag: `"${object.etag}"`, 'last-modified': new Date(object.lastModified).toUTCString() })
      return
    }
    const range = byteRange(header(request.req, 'range'), object.size)
    const { start, end } = range ?? { start: 0, end: object.size - 1 }
    request.res.writeHead(range === undefined ? 200 : 206, {
      ...objectHeaders(object),
      ...responseOverrides(request.params),
      'content-length': end - start + 1,
      ...(range === undefined ? {} : { 'content-range': `bytes ${start}-${end}/${object.size}` })
    })
    if (request.method === 'HEAD' || object.size === 0) {
      request.res.end()
      return
    }
    streaming = true
    // If the client goes away mid-body, the response is closed; sendRange closes the file either way.
    await sendRange(file, start, end, request.res)
  } finally {
    if (!streaming) await file.close()
  }
}

/** The headers a (signed) GET may set with response-* parameters, as S3 does: a download's name and type. */
const OVERRIDABLE = ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding']

function responseOverrides (params: Map<string, string>): Record<string, string> {
  return Object.fromEntries(OVERRIDABLE.flatMap(name => {
    const value = params.get(`response-${name}`)
    if (value !== undefined && !/^[\x20-\x7e]*$/.test(value)) throw errors.invalidArgument('Header value must be printable ASCII', `response-${name}`, value)
    return value === undefined ? [] : [[name, value]]
  }))
}

export async function deleteObject ({ request, bucket }: Context): Promise<void> {
  await bucket.objects.delete(request.key)
  sendEmpty(request.res, 204)
}

/** POST ?delete: up to 1,000 keys; each deleted or reported, the answer listing what happened (only errors when Quiet). */
export async function deleteObjects ({ request, bucket, auth }: BucketContext): Promise<void> {
  const document = parseXml(await readPayload(request.req, auth, MAX_XML_BYTES))?.Delete as { Object?: Array<{ Key?: unknown }>, Quiet?: unknown } | undefined
  const entries = document?.Object ?? []
  if (document === undefined || entries.length === 0 || entries.length > 1000 || entries.some(entry => typeof entry.Key !== 'string')) throw errors.malformedXml()
  const quiet = String(document.Quiet).trim() === 'true'
  const results: string[] = []
  for (const entry of entries) {
    const key = entry.Key as string
    try {
      if (key === '') throw errors.invalidArgument('The key must not be empty.')
      if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw errors.keyTooLong()
      await bucket.objects.delete(key)
      if (!quiet) results.push(xmlElement('Deleted', [xmlElement('Key', key)]))
    } catch (err) {
      if (!(err instanceof S3Error)) throw err
      results.push(xmlElement('Error', [xmlElement('Key', key), xmlElement('Code', err.code), xmlElement('Message', err.message)]))
    }
  }
  sendXml(request.res, 'DeleteResult', results)
}
