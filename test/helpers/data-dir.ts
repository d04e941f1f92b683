// A fresh folder for one test's data, removed only after everything the test started on it has closed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

/**
 * Unlike `t.testdir()`, whose folder tap removes before the test's teardowns run (it would pull the files from
 * under a stack still closing), this registers its removal as a teardown; teardowns run last-registered first,
 * so a stack started on the folder afterwards is closed before the folder goes.
 */
export function dataDirectory (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'csv-metadata-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }))
  return dir
}
