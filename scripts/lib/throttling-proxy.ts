// A TCP proxy that caps what each connection receives at a rate: one S3 stream to a Lambda, for the bench and the tests.
import { connect, createServer, type Socket } from 'node:net'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

export interface ThrottlingProxy {
  /** `http://127.0.0.1:<port>`: the target's protocol spoken through the proxy. */
  endpoint: string
  close: () => Promise<void>
}

/**
 * Forwards every connection to `target` (an `http://host:port` URL); what comes back is paced to `bytesPerSecond`
 * per connection (a token bucket holding 20 ms of it, so a connection idle for a while gets no burst).
 */
export async function startThrottlingProxy (target: string, bytesPerSecond: number): Promise<ThrottlingProxy> {
  const { hostname, port } = new URL(target)
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    return socket
  }
  const server = createServer(client => {
    track(client)
    const upstream = track(connect(Number(port), hostname))
    const done = () => { client.destroy(); upstream.destroy() }
    pipeline(client, upstream).catch(done)
    pipeline(upstream, paced(bytesPerSecond), client).catch(done)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

/** Passes each chunk on at once, then waits until the bucket has paid for it. */
function paced (bytesPerSecond: number): Transform {
  const capacity = bytesPerSecond * 0.02
  let tokens = capacity
  let last = performance.now()
  return new Transform({
    transform (chunk: Buffer, _encoding, done) {
      const now = performance.now()
      tokens = Math.min(capacity, tokens + (now - last) / 1000 * bytesPerSecond) - chunk.length
      last = now
      this.push(chunk)
      if (tokens >= 0) done()
      else setTimeout(done, -tokens / bytesPerSecond * 1000)
    }
  })
}
