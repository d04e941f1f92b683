// What the routes need from AWS (presigning, the metadata table, readiness), wired from the configuration.
import { HeadBucketCommand } from '@aws-sdk/client-s3'
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import { createDocumentClient, createDynamoDBClient, createS3Client } from '../aws/clients.ts'
import { completeRecord, listedRecord } from '../aws/large-records.ts'
import { MetadataTable } from '../aws/metadata-table.ts'
import { createPresigner } from '../aws/presign.ts'
import { reaching, reasonOf } from '../aws/unavailable.ts'
import type { FileMetadata } from '../shared/file-record.ts'
import type { ApiConfig } from './config.ts'

export interface PresignedUpload {
  url: string
  /** Headers the client must send with the PUT. */
  headers: Record<string, string>
  expiresAt: Date
}

/** The routes' ports; reads throw DependencyUnavailableError when DynamoDB cannot be reached. */
export interface ApiServices {
  presignUpload: (key: string, contentLength?: number) => Promise<PresignedUpload>
  getFile: (filename: string) => Promise<FileMetadata | undefined>
  listFiles: (limit: number, cursor?: string) => Promise<{ items: FileMetadata[], nextCursor: string | null }>
  /** Each dependency and "ok", or what is wrong with it. */
  checkReady: () => Promise<Record<string, string>>
}

/** What every route plugin is registered with. */
export interface RouteOptions {
  config: ApiConfig
  services: ApiServices
}

export function createServices (config: ApiConfig): ApiServices {
  const interactive = { interactive: true }
  const s3 = createS3Client(config, interactive)
  const presigner = createS3Client(config, { endpoint: config.s3PublicEndpoint })
  const presign = createPresigner(presigner, config.bucketName)
  const dynamodb = createDynamoDBClient(config, interactive)
  const table = new MetadataTable(createDocumentClient(config, interactive), config.tableName)
  const tableName = `dynamodb:${config.tableName}`
  const bucketName = `s3://${config.bucketName}`

  return {
    presignUpload: async (key, contentLength) => {
      const headers: Record<string, string> = contentLength === undefined ? {} : { 'content-length': String(contentLength) }
      return {
        url: await presign('PUT', key, {}, headers, config.uploadUrlExpiresIn),
        headers,
        expiresAt: new Date(Date.now() + config.uploadUrlExpiresIn * 1000)
      }
    },
    getFile: async filename => {
      const stored = await reaching(tableName, () => table.get(filename))
      return stored === undefined ? undefined : reaching(bucketName, () => completeRecord(s3, config.bucketName, stored))
    },
    listFiles: async (limit, cursor) => {
      const page = await reaching(tableName, () => table.list(limit, cursor))
      return { ...page, items: page.items.map(listedRecord) }
    },
    checkReady: async () => {
      const [bucket, tableState] = await Promise.all([
        state(() => s3.send(new HeadBucketCommand({ Bucket: config.bucketName }))),
        state(() => dynamodb.send(new DescribeTableCommand({ TableName: config.tableName })))
      ])
      return { [bucketName]: bucket, [tableName]: tableState }
    }
  }
}

async function state (check: () => Promise<unknown>): Promise<string> {
  try {
    await check()
    return 'ok'
  } catch (err) {
    return reasonOf(err)
  }
}
