// The page's client of the API: same origin, the optional API key as a Bearer token, problem details as errors.
import type { FileMetadata } from '../../shared/file-record.ts'
import type { ColumnProfile, FileProfile } from '../../shared/column-profile.ts'

/** A file as the API lists it; `uploading` is the status from the upload URL's issue until the object arrives. */
export type FileRecord = Omit<FileMetadata, 'status'> & { status: FileMetadata['status'] | 'uploading', updated_at?: string }
export type { ColumnProfile, FileProfile }

interface FilePage { items: FileRecord[], nextCursor: string | null }

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['processed', 'failed'])

/** An answer other than 2xx, with the API's stable code and its message (RFC 9457 problem details). */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

const KEY_STORAGE = 'csv-metadata.api-key'

/** The API key entered in this tab, if any (sessionStorage: gone when the tab closes). */
export function apiKey (): string | undefined {
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined
}

export function setApiKey (key: string | undefined): void {
  if (key === undefined || key === '') sessionStorage.removeItem(KEY_STORAGE)
  else sessionStorage.setItem(KEY_STORAGE, key)
}

/** Headers every API request carries: the key, when one was entered. */
function authHeaders (): Record<string, string> {
  const key = apiKey()
  return key === undefined ? {} : { authorization: `Bearer ${key}` }
}

/** `fetch` of an API path with the key; a non-2xx answer throws ApiError. */
export async function call (path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(path, { ...init, headers: { ...authHeaders(), ...init.headers } })
  if (response.ok) return response
  throw await problemOf(response)
}

async function problemOf (response: Response): Promise<ApiError> {
  try {
    const body = await response.json() as { code?: string, detail?: string, title?: string }
    return new ApiError(response.status, body.code ?? `http-${response.status}`, body.detail ?? body.title ?? response.statusText)
  } catch {
    return new ApiError(response.status, `http-${response.status}`, `${response.status} ${response.statusText}`)
  }
}

const named = (name: string) => `/files/${encodeURIComponent(name)}`

interface ListFilter { status?: string, prefix?: string, cursor?: string | undefined, limit?: number }

export async function listFiles ({ status, prefix, cursor, limit = 20 }: ListFilter): Promise<FilePage> {
  const query = new URLSearchParams({ limit: String(limit) })
  if (status !== undefined && status !== '') query.set('status', status)
  if (prefix !== undefined && prefix !== '') query.set('prefix', prefix)
  if (cursor !== undefined) query.set('cursor', cursor)
  return await (await call(`/files?${query}`)).json() as FilePage
}

/** The file's record; with `waitSeconds`, the API answers once it is final or when the wait ends. */
export async function getFile (name: string, waitSeconds?: number, signal?: AbortSignal): Promise<FileRecord> {
  const query = waitSeconds === undefined ? '' : `?wait=${waitSeconds}`
  return await (await call(`${named(name)}${query}`, signal === undefined ? {} : { signal })).json() as FileRecord
}

/** The column profile, or why there is none: the API's own words for 404 and 409 (not ready yet, or none at all). */
export async function getProfile (name: string): Promise<{ profile: FileProfile } | { missing: string }> {
  try {
    return { profile: await (await call(`${named(name)}/profile`)).json() as FileProfile }
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 409)) return { missing: err.message }
    throw err
  }
}

export async function deleteFile (name: string): Promise<void> {
  await call(named(name), { method: 'DELETE' })
}

export function downloadPath (name: string): string {
  return `${named(name)}/download`
}

/**
 * @uppy/aws-s3 in Companion mode calls `fetch` with no headers of its own. This wraps `fetch` so that requests to
 * this origin's /s3/ routes carry the key too; every other request is passed through untouched.
 */
export function sendKeyToS3Routes (): void {
  const nativeFetch = window.fetch.bind(window)
  window.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input), window.location.href)
    const key = apiKey()
    if (key === undefined || url.origin !== window.location.origin || !url.pathname.startsWith('/s3/')) return nativeFetch(input, init)
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    headers.set('authorization', `Bearer ${key}`)
    return nativeFetch(input, { ...init, headers })
  }
}
