// Facts of S3 objects that the core, the adapters and the embedded S3 share: the longest key, the ETag's plain form.

/** S3 keys are at most 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024

/** An ETag without the quotes S3 puts around it in headers and listings. */
export function unquotedEtag (etag: string): string {
  return etag.replace(/"/g, '')
}
