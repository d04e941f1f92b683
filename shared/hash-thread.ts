// SHA-256 on a thread of its own, so that hashing an object does not slow the thread that scans and profiles it.
//
// Bytes are copied into 4 MiB blocks that go to the thread and come back to be filled again (no allocation once
// warm, no copy on the way). Each block wakes the thread, which costs this machine's VM far more than a copy: 4 MiB
// blocks took 1-1.5 s of CPU off a 1 GB file's handler against 1 MiB ones. An object that ends within its first
// block is hashed here, on the caller's thread: the thread starts with the first object larger than a block, and is
// worth it only with a second core to run on.
import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

export const BLOCK_BYTES = 4 << 20
/** Blocks in flight at most: the reading thread waits for one to come back beyond that. */
const BLOCKS = 4

/** The thread's code: one hash per object id, updated block by block, in the order the blocks were sent. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const hashes = new Map()
parentPort.on('message', ({ id, block, length, last, drop }) => {
  if (drop) return void hashes.delete(id)
  let hash = hashes.get(id)
  if (hash === undefined) hashes.set(id, hash = createHash('sha256'))
  if (length > 0) hash.update(new Uint8Array(block, 0, length))
  const digest = last ? hash.digest('hex') : undefined
  if (last) hashes.delete(id)
  parentPort.postMessage({ id, block, digest }, [block])
})
`

interface Thread {
  worker: Worker
  generation: number
  /** Settles when the thread runs, or has stopped before (the next hash starts another). */
  running: Promise<unknown>
  /** Blocks sent and not yet back. */
  inFlight: number
  /** Digests asked for and not yet answered, by object id. */
  digests: Map<number, { resolve: (digest: string) => void, reject: (err: Error) => void }>
}

/** The hashing thread and its blocks, shared by every object hashed in this process. */
export class HashThread {
  #thread: Thread | undefined
  #generations = 0
  #free: ArrayBuffer[] = []
  #blocks = 0
  #waiting: Array<(block: ArrayBuffer) => void> = []
  #nextId = 0

  /** A hash of one object's bytes, fed in order by `update`. */
  hash (): ThreadedHash {
    return new ThreadedHash(this, this.#nextId++)
  }

  /**
   * Starts the thread and fills the free list, so the first large object neither waits ~60 ms for the thread to
   * start (its blocks would run out first) nor touches fresh memory: for a processor's start-up, once per process.
   * Resolves once the thread runs.
   */
  async warm (): Promise<void> {
    const thread = this.#thread ?? this.#start()
    while (this.#blocks < BLOCKS) {
      this.#blocks++
      const block = new ArrayBuffer(BLOCK_BYTES)
      // Written once now, so the kernel maps its pages before a file is read, not while.
      new Uint8Array(block).fill(0)
      this.#free.push(block)
    }
    await thread.running
    if (thread.inFlight === 0) thread.worker.unref()
  }

  /** A block to fill: a free one, a new one while fewer than BLOCKS exist, or the next to come back. */
  async block (): Promise<ArrayBuffer> {
    const free = this.#free.pop()
    if (free !== undefined) return free
    if (this.#blocks < BLOCKS) {
      this.#blocks++
      return new ArrayBuffer(BLOCK_BYTES)
    }
    return await new Promise(resolve => this.#waiting.push(resolve))
  }

  /** A block back to the free ones (or to whoever waits for one). */
  giveBack (block: ArrayBuffer): void {
    const waiter = this.#waiting.shift()
    if (waiter !== undefined) waiter(block)
    else this.#free.push(block)
  }

  /**
   * Sends `length` bytes of `block` as the next of object `id`, whose earlier blocks went to thread `generation`
   * (none yet: undefined); `last` asks for the digest. Returns the generation, and the digest when asked for.
   */
  send (id: number, block: ArrayBuffer, length: number, last: boolean, generation?: number): { generation: number, digest?: Promise<string> } {
    const thread = this.#thread ?? this.#start()
    if (generation !== undefined && generation !== thread.generation) {
      this.giveBack(block)
      throw new Error('the hashing thread stopped while it was hashing this object (the event is retried)')
    }
    thread.inFlight++
    thread.worker.ref()
    const digest = last ? new Promise<string>((resolve, reject) => thread.digests.set(id, { resolve, reject })) : undefined
    thread.worker.postMessage({ id, block, length, last }, [block])
    return { generation: thread.generation, digest }
  }

  /** Forgets object `id`'s hash on the thread. */
  drop (id: number): void {
    this.#thread?.worker.postMessage({ id, drop: true })
  }

  /** Stops the thread (a later hash starts another). */
  async close (): Promise<void> {
    const thread = this.#thread
    if (thread === undefined) return
    this.#lost(thread, new Error('the hashing thread was stopped'))
    await thread.worker.terminate()
  }

  #start (): Thread {
    // Plain Node options: the thread's CommonJS needs no loader, whatever the process was started with.
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] })
    const running = new Promise(resolve => {
      worker.once('online', resolve)
      worker.once('exit', resolve)
    })
    const thread: Thread = { worker, generation: ++this.#generations, running, inFlight: 0, digests: new Map() }
    worker.on('message', ({ id, block, digest }: { id: number, block: ArrayBuffer, digest?: string }) => {
      if (this.#thread !== thread) return
      if (--thread.inFlight === 0) worker.unref()
      this.giveBack(block)
      if (digest === undefined) return
      thread.digests.get(id)?.resolve(digest)
      thread.digests.delete(id)
    })
    worker.on('error', err => this.#lost(thread, err))
    worker.on('exit', code => this.#lost(thread, new Error(`the hashing thread exited with code ${code}`)))
    this.#thread = thread
    return thread
  }

  /** A thread that stopped: the hashes in progress on it fail (those files are read again); its blocks are replaced. */
  #lost (thread: Thread, err: Error): void {
    if (this.#thread === thread) this.#thread = undefined
    this.#blocks -= thread.inFlight
    thread.inFlight = 0
    for (const pending of thread.digests.values()) pending.reject(err)
    thread.digests.clear()
    while (this.#waiting.length > 0 && this.#blocks < BLOCKS) {
      this.#blocks++
      this.#waiting.shift()!(new ArrayBuffer(BLOCK_BYTES))
    }
  }
}

/**
 * One object's SHA-256. Its first block is kept here: an object that ends within it is hashed on this thread,
 * without waking the hashing thread for a few bytes.
 */
export class ThreadedHash {
  readonly #thread: HashThread
  readonly #id: number
  #block: ArrayBuffer | undefined
  #filled = 0
  /** The thread generation its first block went to, once sent. */
  #generation: number | undefined

  constructor (thread: HashThread, id: number) {
    this.#thread = thread
    this.#id = id
  }

  async update (bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length;) {
      this.#block ??= await this.#thread.block()
      const n = Math.min(bytes.length - at, BLOCK_BYTES - this.#filled)
      new Uint8Array(this.#block, this.#filled, n).set(bytes.subarray(at, at + n))
      this.#filled += n
      at += n
      if (this.#filled === BLOCK_BYTES) {
        const block = this.#block
        this.#block = undefined
        this.#filled = 0
        this.#generation = this.#thread.send(this.#id, block, BLOCK_BYTES, false, this.#generation).generation
      }
    }
  }

  /** The hex digest of every byte given to `update`. */
  async digest (): Promise<string> {
    const block = this.#block
    this.#block = undefined
    if (this.#generation !== undefined) {
      return await this.#thread.send(this.#id, block ?? await this.#thread.block(), this.#filled, true, this.#generation).digest!
    }
    const digest = createHash('sha256').update(block === undefined ? new Uint8Array(0) : new Uint8Array(block, 0, this.#filled)).digest('hex')
    if (block !== undefined) this.#thread.giveBack(block)
    return digest
  }

  /** Gives back what this hash holds, when its digest will not be asked for (the object is read again, or failed). */
  abandon (): void {
    if (this.#block !== undefined) this.#thread.giveBack(this.#block)
    this.#block = undefined
    if (this.#generation !== undefined) this.#thread.drop(this.#id)
    this.#generation = undefined
  }
}

let shared: HashThread | undefined

/** The process's hashing thread, or undefined on one core, where hashing stays on the reading thread. */
export function sharedHashThread (cores = availableParallelism()): HashThread | undefined {
  if (cores < 2) return undefined
  shared ??= new HashThread()
  return shared
}
