// Events the embedded Lambda runtime gave up on, kept as JSON files in DATA_DIR/dead-letters until reconciled.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'

export interface DeadLetter {
  file: string
  failedAt: string
  error: string
  event: unknown
}

function folder (dataDir: string): string {
  return join(dataDir, 'dead-letters')
}

/** Keeps an event whose last attempt failed; like Lambda's on-failure destination, nothing is dropped. */
export function writeDeadLetter (dataDir: string, event: unknown, error: string): string {
  mkdirSync(folder(dataDir), { recursive: true })
  const file = join(folder(dataDir), `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.json`)
  writeFileSync(file, JSON.stringify({ failedAt: new Date().toISOString(), error, event }, null, 2) + '\n')
  return file
}

export function readDeadLetters (dataDir: string): DeadLetter[] {
  let names: string[]
  try {
    names = readdirSync(folder(dataDir)).filter(name => name.endsWith('.json')).sort()
  } catch {
    return []
  }
  return names.map(name => {
    const file = join(folder(dataDir), name)
    return { file, ...JSON.parse(readFileSync(file, 'utf8')) as Omit<DeadLetter, 'file'> }
  })
}

export function removeDeadLetters (letters: DeadLetter[]): void {
  for (const letter of letters) rmSync(letter.file, { force: true })
}
