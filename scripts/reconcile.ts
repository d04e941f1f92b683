// `npm run reconcile [-- --dry-run] [-- --stuck-minutes 15]`: makes the table agree with the bucket, on any
// target (the running embedded stack, LocalStack, AWS). Objects with missing, stale or stuck metadata are
// processed again here, with the handler's own code; records of deleted objects are marked deleted. In the
// embedded stack it also clears the dead letters a clean pass has made moot. Running it twice is harmless.
import { parseArgs } from 'node:util'
import { createDocumentClient, createS3Client } from '../shared/aws/clients.ts'
import { findDrift, reconcile, type Drift } from '../shared/aws/drift.ts'
import { MetadataTable } from '../shared/aws/metadata-table.ts'
import { loadConfig } from '../shared/config.ts'
import { createProcessDeps } from '../lambda/deps.ts'
import { createLogger } from '../lambda/logger.ts'
import { processObject } from '../lambda/process-object.ts'
import { readDeadLetters, removeDeadLetters } from '../embedded/dead-letters.ts'

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'stuck-minutes': { type: 'string', default: '15' }
  }
})

const config = loadConfig()
const s3 = createS3Client(config, { interactive: true })
const table = new MetadataTable(createDocumentClient(config, { interactive: true }), config.tableName)
const deps = createProcessDeps(config, createLogger(() => {}))
const options = {
  s3,
  table,
  bucket: config.bucketName,
  // Lambda's longest timeout is 15 minutes: a record still `processing` after that has lost its invocation.
  stuckBefore: new Date(Date.now() - Number(values['stuck-minutes']) * 60_000)
}
const letters = config.stack === 'embedded' ? readDeadLetters(config.dataDir) : []
const target = config.awsEndpoint ?? `AWS (${config.region})`

function show (drift: Drift[]): void {
  for (const { reason, key } of drift) console.log(`  ${reason.padEnd(8)} ${key}`)
}

try {
  console.log(`Reconciling s3://${config.bucketName} with ${config.tableName} at ${target}`)
  for (const letter of letters) console.log(`  dead letter ${letter.file} (${letter.failedAt}): ${letter.error}`)
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
    for (const { key, error } of failures) console.log(`  FAILED   ${key}: ${error}`)
    if (failures.length === 0) removeDeadLetters(letters)
    console.log(`${drift.length - failures.length} of ${drift.length} file(s) repaired` +
      (letters.length > 0 && failures.length === 0 ? `; ${letters.length} dead letter(s) cleared.` : '.'))
    process.exitCode = failures.length === 0 ? 0 : 1
  }
} catch (err) {
  const reason = (err as { code?: string }).code ?? (err as Error).message
  console.error(`Cannot reconcile: S3 or DynamoDB at ${target} cannot be reached (${reason}).` +
    (config.stack === 'embedded' ? ' Is `npm start` running?' : ''))
  process.exitCode = 1
}
