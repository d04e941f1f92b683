// One embedded stack per data directory: a pid lock file, reclaimed when its owner has died.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export class StackAlreadyRunningError extends Error {
  override name = 'StackAlreadyRunningError'
  readonly code = 'stack-already-running'
}

/** Takes the lock on `dataDir` and returns the function that releases it. */
export function lockDataDir (dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, 'embedded.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' })
      return () => rmSync(file, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number(readFileSync(file, 'utf8'))
      if (isAlive(owner)) {
        throw new StackAlreadyRunningError(
          `Another embedded stack (pid ${owner}) is already using ${dataDir}. Stop it first (Ctrl+C in its terminal, or kill ${owner}), or set DATA_DIR to another folder.`
        )
      }
      rmSync(file, { force: true })
    }
  }
  /* c8 ignore next -- only reached if another process wins the race for a stale lock twice */
  throw new StackAlreadyRunningError(`Could not take the lock on ${dataDir}; another stack is starting.`)
}

function isAlive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
