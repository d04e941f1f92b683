// Type declarations for the parts of the emulator packages (plain JavaScript) this project uses.
declare module 's3rver' {
  import type { EventEmitter } from 'node:events'
  import type { IncomingMessage, ServerResponse } from 'node:http'
  interface S3rverOptions {
    directory: string
    silent?: boolean
    vhostBuckets?: boolean
    configureBuckets?: Array<{ name: string, configs?: Array<string | Buffer> }>
  }
  class S3rver extends EventEmitter {
    constructor (options: S3rverOptions)
    configureBuckets (): Promise<void>
    callback (): (req: IncomingMessage, res: ServerResponse) => void
    logger: { close (): void, exceptions: { unhandle (): void } }
  }
  export default S3rver
}

declare module 's3rver/lib/models/account.js' {
  interface Account { id: number }
  const AWSAccount: { registry: Map<string, Account>, DUMMY_ACCOUNT: Account }
  export default AWSAccount
}

declare module 'dynalite' {
  import type { Server } from 'node:http'
  function dynalite (options: { path?: string, createTableMs?: number, deleteTableMs?: number, updateTableMs?: number }): Server
  export default dynalite
}
