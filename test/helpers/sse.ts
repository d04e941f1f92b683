// A server-sent events client for tests: reads a text/event-stream over fetch and hands out its events one by one.
export interface SseEvent {
  id?: string
  event: string
  data: string
}

export interface SseStream {
  status: number
  headers: Headers
  /** The next event (comments and id-only blocks are skipped), or fails after `timeoutMs`. */
  next: (timeoutMs?: number) => Promise<SseEvent>
  /** Events until `until` returns true for one (included), or fails after `timeoutMs`. */
  collect: (until: (event: SseEvent) => boolean, timeoutMs?: number) => Promise<SseEvent[]>
  /** Every `id:` line seen so far, events or not (the last is what EventSource would send as Last-Event-ID). */
  lastId: () => string | undefined
  close: () => void
}

export async function openEvents (url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
  const queue: SseEvent[] = []
  const waiting: Array<() => void> = []
  let lastId: string | undefined
  let failure: Error | undefined
  if (res.ok && res.body !== null) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    (async () => {
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) throw new Error('the stream ended')
        buffer += value
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const fields = block.split('\n').filter(line => !line.startsWith(':')).map(line => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)] as const)
          const id = fields.find(([name]) => name === 'id')?.[1]
          if (id !== undefined) lastId = id
          const data = fields.filter(([name]) => name === 'data').map(([, value]) => value)
          if (data.length === 0) continue
          queue.push({ ...(id === undefined ? {} : { id }), event: fields.find(([name]) => name === 'event')?.[1] ?? 'message', data: data.join('\n') })
          waiting.splice(0).forEach(wake => wake())
        }
      }
    })().catch((err: Error) => {
      failure = err
      waiting.splice(0).forEach(wake => wake())
    })
  }
  const next = async (timeoutMs = 20_000): Promise<SseEvent> => {
    const deadline = Date.now() + timeoutMs
    while (queue.length === 0) {
      if (failure !== undefined) throw failure
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        waiting.push(() => { clearTimeout(timer); resolve() })
      })
    }
    return queue.shift()!
  }
  return {
    status: res.status,
    headers: res.headers,
    next,
    collect: async (until, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs
      const events: SseEvent[] = []
      for (;;) {
        const event = await next(Math.max(1, deadline - Date.now()))
        events.push(event)
        if (until(event)) return events
      }
    },
    lastId: () => lastId,
    close: () => controller.abort()
  }
}
