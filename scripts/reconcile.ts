// `npm run reconcile [-- --dry-run] [-- --stuck-minutes 15]`: makes the table agree with the bucket, on any
// target (the running embedded stack, LocalStack, AWS). Objects with missing, stale or stuck metadata are
// processed again here, with the handler's own code; records of deleted objects are marked deleted. In the
// embedded stack it first re-drives each dead letter's own event, and clears a letter only once every file it
// names has a verdict. Running it twice is harmless.
import { parseArgs } from 'node:util'
import { createDocumentClient, createS3Client } from '../aws/clients.ts'
import { MetadataTable } from '../aws/metadata-table.ts'
import { createProcessDeps } from '../aws/process-deps.ts'
import { findDrift, reconcile, type Drift } from '../aws/reconcile.ts'
import { isUnavailable, reasonOf } from '../aws/unavailable.ts'
import { loadEmbeddedConfig } from '../embedded/config.ts'
import { deadLetterKeys, readDeadLetters, removeDeadLetters, type DeadLetter } from '../embedded/dead-letters.ts'
import { Status } from '../shared/file-record.ts'
import { handleEvent } from '../shared/handle-event.ts'
import { SILENT_LOGGER } from '../shared/logger.ts'
import { processObject } from '../shared/process-object.ts'
import { printable } from '../shared/printable.ts'

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'stuck-minutes': { type: 'string', default: '15' }
  }
})

const config = loadEmbeddedConfig()
const s3 = createS3Client(config, { interactive: true })
const table = new MetadataTable(createDocumentClient(config, { interactive: true }), config.tableName)
const deps = createProcessDeps(config, SILENT_LOGGER)
const options = {
  s3,
  table,
  bucket: config.bucketName,
  // Lambda's longest timeout is 15 minutes: a record still `processing` after that has lost its invocation.
  stuckBefore: new Date(Date.now() - Number(values['stuck-minutes']) * 60_000)
}
const letters = config.stack === 'embedded' ? readDeadLetters(config.dataDir) : []
const target = config.awsEndpoint ?? `AWS (${config.awsRegion})`

function show (drift: Drift[]): void {
  for (const { reason, key } of drift) console.log(`  ${reason.padEnd(8)} ${printable(key)}`)
}

/** Re-drives the letter's own event, so its eventTime and sequencer are kept; says why when that failed again. */
async function redrive (letter: DeadLetter): Promise<string | undefined> {
  try {
    await handleEvent(deps, letter.event, config.bucketName)
    return undefined
  } catch (err) {
    return `re-driving it failed again: ${err instanceof Error ? err.message : String(err)}`
  }
}

/** Why the letter must stay although its re-drive went through: a file it names has no verdict yet. */
async function unresolved (letter: DeadLetter): Promise<string | undefined> {
  const keys: string[] = []
  for (const key of deadLetterKeys(letter, config.bucketName)) {
    if ((await table.get(key))?.status === Status.processing) keys.push(key)
  }
  // A newer upload of the file is being read right now (the letter's older event changed nothing).
  return keys.length === 0 ? undefined : `${keys.join(', ')} still processing; run again later`
}

try {
  console.log(`Reconciling s3://${config.bucketName} with ${config.tableName} at ${target}`)
  for (const letter of letters) {
    console.log(`  dead letter ${letter.file} (${letter.failedAt}, ${printable(deadLetterKeys(letter, config.bucketName).join(', ') || 'no file')}): ${printable(letter.error)}`)
  }
  if (values['dry-run']) {
    const drift = await findDrift(options)
    show(drift)
    console.log(`${drift.length} file(s) to repair; nothing changed (dry run).`)
  } else {
    const failedAgain = new Map<DeadLetter, string>()
    for (const letter of letters) {
      const reason = await redrive(letter)
      if (reason !== undefined) failedAgain.set(letter, reason)
    }
    const { drift, failures } = await reconcile(options, {
      redrive: async object => {
        await processObject(deps, { bucket: config.bucketName, key: object.key, eventTime: object.lastModified.toISOString(), size: object.size, etag: object.etag })
      },
      forget: async key => { await table.markDeleted(key, new Date().toISOString()) }
    })
    show(drift)
    for (const { key, error } of failures) console.log(`  FAILED   ${printable(key)}: ${printable(error)}`)
    // No letter is cleared while a file it names is unresolved.
    const kept: DeadLetter[] = []
    for (const letter of letters) {
      const reason = failedAgain.get(letter) ?? await unresolved(letter)
      if (reason === undefined) continue
      kept.push(letter)
      console.log(`  KEPT     dead letter ${letter.file}: ${printable(reason)}`)
    }
    const cleared = letters.filter(letter => !kept.includes(letter))
    removeDeadLetters(cleared)
    console.log(`${drift.length - failures.length} of ${drift.length} file(s) repaired` +
      (cleared.length > 0 ? `; ${cleared.length} dead letter(s) cleared` : '') +
      (kept.length > 0 ? `; ${kept.length} dead letter(s) kept.` : '.'))
    process.exitCode = failures.length === 0 && kept.length === 0 ? 0 : 1
  }
} catch (err) {
  // Only an unreachable S3 or DynamoDB is reported as such; anything else is a bug, shown with its stack.
  if (!isUnavailable(err)) throw err
  console.error(`Cannot reconcile: S3 or DynamoDB at ${target} cannot be reached (${reasonOf(err)}).` +
    (config.stack === 'embedded' ? ' Is `npm start` running?' : ''))
  process.exitCode = 1
}
