// An Uppy uploader for files below the multipart threshold: POST /uploads with the file's size (the API signs that
// length into the URL, so S3 itself refuses any other body), then one PUT with progress.
import { BasePlugin, type Uppy, type PluginOpts } from '@uppy/core'
import type { Body, Meta, UppyFile } from '@uppy/core/utils'
import { ApiError, call } from './api.ts'

export interface SignedPutOptions extends PluginOpts {
  /** Files of this size or more are left to the multipart uploader that runs next. */
  below: number
}

interface Ticket { uploadUrl: string, method: string, headers: Record<string, string> }

/**
 * Uploaders run one after another on every file of an upload; this one takes the small files and marks each done
 * or failed, and @uppy/aws-s3 (installed after it) skips those and sends the large ones in parts.
 */
export class SignedPut<M extends Meta, B extends Body> extends BasePlugin<SignedPutOptions, M, B> {
  readonly #requests = new Map<string, XMLHttpRequest>()

  constructor (uppy: Uppy<M, B>, opts: SignedPutOptions) {
    super(uppy, opts)
    this.type = 'uploader'
    this.id = 'SignedPut'
  }

  override install (): void {
    this.uppy.addUploader(this.#upload)
    this.uppy.on('file-removed', this.#abort)
  }

  override uninstall (): void {
    this.uppy.removeUploader(this.#upload)
    this.uppy.off('file-removed', this.#abort)
  }

  #abort = (file: UppyFile<M, B>): void => {
    this.#requests.get(file.id)?.abort()
  }

  #upload = async (fileIDs: string[]): Promise<void> => {
    const small = this.uppy.getFilesByIds(fileIDs)
      .filter(file => file.error == null && file.progress.uploadComplete !== true && (file.size ?? 0) < this.opts.below)
    if (small.length === 0) return
    this.uppy.emit('upload-start', small)
    await Promise.allSettled(small.map(file => this.#send(file)))
  }

  async #send (file: UppyFile<M, B>): Promise<void> {
    const data = file.data
    if (!(data instanceof Blob)) return
    try {
      const ticket = await (await call('/uploads', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filename: file.name, contentLength: data.size })
      })).json() as Ticket
      const status = await this.#put(file, ticket, data)
      const current = this.uppy.getFile(file.id)
      if (current === undefined) return
      this.uppy.emit('upload-success', current, { status, body: {} as B, uploadURL: ticket.uploadUrl.split('?')[0] })
    } catch (err) {
      const current = this.uppy.getFile(file.id)
      if (current === undefined || (err instanceof DOMException && err.name === 'AbortError')) return
      this.uppy.emit('upload-error', current, err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** The PUT, through XMLHttpRequest because fetch reports no upload progress. */
  #put (file: UppyFile<M, B>, ticket: Ticket, data: Blob): Promise<number> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest()
      this.#requests.set(file.id, xhr)
      xhr.open(ticket.method, ticket.uploadUrl)
      // The browser sets Content-Length itself, and refuses to let a page set it.
      for (const [name, value] of Object.entries(ticket.headers)) if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value)
      const started = Date.now()
      xhr.upload.onprogress = event => {
        const current = this.uppy.getFile(file.id)
        if (current !== undefined) this.uppy.emit('upload-progress', current, { uploadStarted: started, bytesUploaded: event.loaded, bytesTotal: data.size })
      }
      xhr.onload = () => {
        this.#requests.delete(file.id)
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.status)
        else reject(new ApiError(xhr.status, 's3-refused', `The bucket refused the upload (${xhr.status}): ${s3Message(xhr.responseText)}`))
      }
      xhr.onerror = () => {
        this.#requests.delete(file.id)
        reject(new Error('The upload to the bucket failed: the network, or the bucket\'s CORS rule refused this page\'s origin.'))
      }
      xhr.onabort = () => {
        this.#requests.delete(file.id)
        reject(new DOMException('aborted', 'AbortError'))
      }
      xhr.send(data)
    })
  }
}

/** S3's own words from its XML error document, e.g. "SignatureDoesNotMatch: …". */
function s3Message (xml: string): string {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1]
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1]
  return [code, message].filter(Boolean).join(': ') || 'no detail'
}
