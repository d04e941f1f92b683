// Object keys as S3 writes them into event notifications: URL-encoded, with a space as "+".

/** Decodes an event's `s3.object.key` back to the object key. */
export function decodeEventKey (encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '))
}

/** Encodes an object key the way S3 does in event notifications ("/" kept, space as "+"). */
export function encodeEventKey (key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/')
}
