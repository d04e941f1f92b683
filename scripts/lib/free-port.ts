// A TCP port nobody listens on, for a stack started beside others (tests, the benchmark), that stays free until bound.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'

/** Where Linux's ephemeral range starts (its file reads "32768\t60999"); undefined where the system does not say. */
async function ephemeralStart (): Promise<number | undefined> {
  try {
    const low = Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/)[0])
    return low > 1024 ? low : undefined
  } catch {
    return undefined
  }
}

/** Listens on `port` of 127.0.0.1 and lets it go; the port it got, or undefined when another holds it. */
async function probe (port: number): Promise<number | undefined> {
  const server = createServer()
  const bound = await new Promise<boolean>(resolve => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => resolve(true))
  })
  if (!bound) return undefined
  const { port: chosen } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return chosen
}

/**
 * A port nobody listens on right now on 127.0.0.1, picked outside the system's ephemeral range where it is known: the
 * system hands ephemeral ports to every listen(0) and every outgoing connection, so a port found free there can be
 * taken by another process's connection before its caller binds it. Below the range, only another caller of this
 * function could pick the same port, one in thousands at random.
 */
export async function freePort (): Promise<number> {
  const start = await ephemeralStart()
  if (start !== undefined) {
    const floor = Math.max(1_024, Math.min(10_000, start - 1_000))
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await probe(floor + Math.floor(Math.random() * (start - floor)))
      if (port !== undefined) return port
    }
  }
  const port = await probe(0)
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1')
  return port
}
