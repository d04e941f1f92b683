// Events the embedded Lambda runtime gave up on, kept as JSON files in DATA_DIR/dead-letters until reconciled.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { checkEvent } from '../shared/handle-event.ts'
import { unquotedEtag } from '../shared/s3-object.ts'

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

/**
 * The record of a dead letter that created this version of `object` (its key and ETag), as an event of its own:
 * re-driving it keeps the upload's eventTime and sequencer, which an event made from a bucket listing loses.
 * The newest letter wins; undefined when no letter names this version.
 */
export function deadLetterEvent (letters: DeadLetter[], bucket: string, object: { key: string, etag: string }): { Records: unknown[] } | undefined {
  for (const letter of [...letters].reverse()) {
    const records = (letter.event as { Records: unknown[] }).Records
    const index = checkEvent(letter.event, bucket)?.findLastIndex(checked =>
      checked.action === 'create' && checked.object.key === object.key && unquotedEtag(checked.object.etag) === object.etag)
    if (index !== undefined && index >= 0) return { Records: [records[index]] }
  }
  return undefined
}

/** The objects a dead letter's event is about (created or removed), in this bucket. */
export function deadLetterKeys (letter: DeadLetter, bucket: string): string[] {
  return (checkEvent(letter.event, bucket) ?? []).flatMap(checked => checked.action === 'create' || checked.action === 'remove' ? [checked.object.key] : [])
}
