// Wires processObject's ports to the AWS SDK, once per process: for the Lambda handler and for reconcile.
import type { Config } from '../shared/config.ts'
import { sharedHashThread } from '../shared/hash-thread.ts'
import type { Logger } from '../shared/logger.ts'
import type { ProcessDeps } from '../shared/process-object.ts'
import { createDocumentClient, createS3Client } from './clients.ts'
import { fitsInItem, pruneVersionObjects, putRecordObject } from './large-records.ts'
import { putProfileObject } from './profile-objects.ts'
import { MetadataTable } from './metadata-table.ts'
import { readObject } from './object-reader.ts'
import { createEventBridgeClient, eventBridgePublisher } from './verdict-events.ts'

export function createProcessDeps (config: Config, logger: Logger): ProcessDeps {
  const s3 = createS3Client(config)
  const table = new MetadataTable(createDocumentClient(config), config.tableName)
  const reads = { rangeBytes: config.s3RangeBytes, concurrency: config.s3ReadConcurrency }
  // At start-up, not with the first large file, which would wait for the hashing thread to start.
  sharedHashThread()?.warm()
  return {
    readObject: (bucket, key, etag) => readObject(s3, bucket, key, etag, reads),
    saveRecord: async (record, orderingKey) =>
      table.put(fitsInItem(record) ? record : await putRecordObject(s3, config.bucketName, record), orderingKey),
    markDeleted: (key, deletedAt, orderingKey) => table.markDeleted(key, deletedAt, orderingKey),
    saveProfile: (record, profile) => putProfileObject(s3, config.bucketName, record.filename, record.etag, profile),
    pruneVersions: (filename, keep, before) => pruneVersionObjects(s3, config.bucketName, filename, keep, before),
    publishVerdict: eventBridgePublisher(createEventBridgeClient(config), config.eventBusName),
    logger,
    limits: { maxRecordBytes: config.maxRecordBytes, maxColumns: config.maxColumns, maxDecompressedBytes: config.maxDecompressedBytes }
  }
}
