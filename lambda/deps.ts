// Wires processObject's dependencies to the AWS SDK, once per process: for the handler, and for reconcile.
import type { Config } from '../shared/config.ts'
import { createDocumentClient, createS3Client } from '../shared/aws/clients.ts'
import { MetadataTable } from '../shared/aws/metadata-table.ts'
import { createLogger, type Logger } from './logger.ts'
import type { ProcessDeps } from './process-object.ts'
import { readObject } from './s3-object.ts'

export function createProcessDeps (config: Config, logger: Logger = createLogger()): ProcessDeps {
  const s3 = createS3Client(config)
  const table = new MetadataTable(createDocumentClient(config), config.tableName)
  return {
    readObject: (bucket, key, etag) => readObject(s3, bucket, key, etag),
    saveRecord: (record, orderingKey) => table.put(record, orderingKey),
    markDeleted: (key, deletedAt, orderingKey) => table.markDeleted(key, deletedAt, orderingKey),
    logger,
    limits: { maxRecordBytes: config.maxRecordBytes, maxColumns: config.maxColumns }
  }
}
