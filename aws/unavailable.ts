// Tells an AWS service that cannot be reached (network, timeouts, throttling, 5xx, a missing table) from a bug.
import { DependencyUnavailableError } from '../shared/errors.ts'

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE'])
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError', 'RequestTimeout', 'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded',
  'ServiceUnavailable', 'InternalServerError', 'ResourceNotFoundException', 'NoSuchBucket', 'SlowDown', 'UnrecognizedClientException'
])

interface SdkLikeError { name?: string, code?: string, cause?: unknown, $metadata?: { httpStatusCode?: number } }

/** True when `err` says the service is out of reach or failing, not that the caller (or this code) is wrong. */
export function isUnavailable (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const e = err as SdkLikeError
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) return true
  if (e.name !== undefined && UNAVAILABLE_NAMES.has(e.name)) return true
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true
  return e.cause !== undefined && isUnavailable(e.cause)
}

/** A short reason for people: the error's code or name. */
export function reasonOf (err: unknown): string {
  const e = err as SdkLikeError & { message?: string }
  return e.code ?? (e.name === undefined || e.name === 'Error' ? String(e.message ?? err) : e.name)
}

/** Runs `call`; an unavailable service becomes a DependencyUnavailableError naming `dependency`, anything else is rethrown. */
export async function reaching<T> (dependency: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (isUnavailable(err)) throw new DependencyUnavailableError(dependency, reasonOf(err), { cause: err })
    throw err
  }
}
