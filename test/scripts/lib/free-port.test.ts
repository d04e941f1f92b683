// freePort picks a port that is free and that the system will not hand to another listener or connection meanwhile.
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import t from 'tap'
import { freePort } from '../../../scripts/lib/free-port.ts'

const listen = (server: Server, port: number) => new Promise<void>((resolve, reject) => {
  server.once('error', reject)
  server.listen(port, '127.0.0.1', resolve)
})

t.test('a port picked free can be bound by its caller', async t => {
  const port = await freePort()
  const server = createServer()
  await listen(server, port)
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  t.equal((server.address() as { port: number }).port, port)
})

t.test('the port lies below the ephemeral range, which listen(0) and outgoing connections draw from', async t => {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => undefined)
  const low = range === undefined ? 65_536 : Number(range.trim().split(/\s+/)[0])
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()))
  for (const port of ports) t.ok(port >= 1024 && port < low, `${port} is below ${low}`)
  const held = createServer()
  await listen(held, 0)
  t.teardown(() => new Promise(resolve => held.close(resolve)))
  t.ok((held.address() as { port: number }).port >= Math.min(low, 1024), 'while listen(0) gets one from the range')
})
