// A TCP port nobody listens on right now, for a stack started beside others (tests, the benchmark).
import { createServer } from 'node:net'

/** A port nobody listens on right now on 127.0.0.1. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}
