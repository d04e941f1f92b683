// Runs an expensive check at most once at a time and reuses its answer for a moment, so probes stay cheap under load.

/**
 * `check`, shared: callers that arrive while it runs get the same answer, and callers within `ttlMs` of its end
 * get that answer too. A check that throws is not remembered.
 */
export function singleFlight<T> (check: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let running: Promise<T> | undefined
  let last: { at: number, value: T } | undefined
  return async () => {
    if (last !== undefined && now() - last.at < ttlMs) return last.value
    running ??= check().then(value => {
      last = { at: now(), value }
      return value
    }).finally(() => { running = undefined })
    return running
  }
}
