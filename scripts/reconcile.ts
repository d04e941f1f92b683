// `npm run reconcile [-- --dry-run] [-- --stuck-minutes 15]`: makes the table agree with the bucket, on any
// target (the running embedded stack, LocalStack, AWS). Objects with missing, stale or stuck metadata are
// processed again here, with the handler's own code; records of deleted objects are marked deleted. In the
// embedded stack it also clears the dead letters a clean pass has made moot. Running it twice is harmless.
import { parseArgs } from 'node:util'
import { createDocumentClient, createS3Client } from '../aws/clients.ts'
import { MetadataTable } from '../aws/metadata-table.ts'
import { createProcessDeps } from '../aws/process-deps.ts'
import { findDrift, reconcile, type Drift } from '../aws/reconcile.ts'
import { isUnavailable, reasonOf } from '../aws/unavailable.ts'
import { loadEmbeddedConfig } from '../embedded/config.ts'
import { readDeadLetters, removeDeadLetters } from '../embedded/dead-letters.ts'
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

try {
  console.log(`Reconciling s3://${config.bucketName} with ${config.tableName} at ${target}`)
  for (const letter of letters) console.log(`  dead letter ${letter.file} (${letter.failedAt}): ${printable(letter.error)}`)
  if (values['dry-run']) {
    const drift = await findDrift(options)
    show(drift)
    console.log(`${drift.length} file(s) to repair; nothing changed (dry run).`)
  } else {
    const { drift, failures } = await reconcile(options, {
      redrive: async object => {
        await processObject(deps, { bucket: config.bucketName, key: object.key, eventTime: object.lastModified.toISOString(), size: object.size, etag: object.etag })
      },
      forget: async key => { await table.markDeleted(key, new Date().toISOString()) }
    })
    show(drift)
    for (const { key, error } of failures) console.log(`  FAILED   ${printable(key)}: ${printable(error)}`)
    if (failures.length === 0) removeDeadLetters(letters)
    console.log(`${drift.length - failures.length} of ${drift.length} file(s) repaired` +
      (letters.length > 0 && failures.length === 0 ? `; ${letters.length} dead letter(s) cleared.` : '.'))
    process.exitCode = failures.length === 0 ? 0 : 1
  }
} catch (err) {
  // Only an unreachable S3 or DynamoDB is reported as such; anything else is a bug, shown with its stack.
  if (!isUnavailable(err)) throw err
  console.error(`Cannot reconcile: S3 or DynamoDB at ${target} cannot be reached (${reasonOf(err)}).` +
    (config.stack === 'embedded' ? ' Is `npm start` running?' : ''))
  process.exitCode = 1
}
