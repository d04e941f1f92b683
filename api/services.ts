// What the routes need from AWS (presigning, the metadata table, readiness), wired from the configuration.
import { HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import type { Config } from '../shared/config.ts'
import type { FileMetadata } from '../shared/file-record.ts'
import { createDocumentClient, createDynamoDBClient, createS3Client } from '../shared/aws/clients.ts'
import { InvalidCursorError, MetadataTable, type FilePage } from '../shared/aws/metadata-table.ts'
import { HttpProblem } from './problem.ts'

export interface UploadTicket {
  url: string
  /** Headers the client must send with the PUT. */
  headers: Record<string, string>
  expiresAt: Date
}

export interface ApiServices {
  presignUpload: (key: string, contentLength?: number) => Promise<UploadTicket>
  getFile: (filename: string) => Promise<FileMetadata | undefined>
  listFiles: (limit: number, cursor?: string) => Promise<FilePage>
  /** Each dependency and "ok", or what is wrong with it. */
  checkReady: () => Promise<Record<string, string>>
}

export function createServices (config: Config): ApiServices {
  const interactive = { interactive: true }
  const s3 = createS3Client(config, interactive)
  const presigner = createS3Client(config, { endpoint: config.s3PublicEndpoint })
  const dynamodb = createDynamoDBClient(config, interactive)
  const table = new MetadataTable(createDocumentClient(config, interactive), config.tableName)

  return {
    presignUpload: async (key, contentLength) => {
      const command = new PutObjectCommand({ Bucket: config.bucketName, Key: key, ContentLength: contentLength })
      const url = await getSignedUrl(presigner, command, {
        expiresIn: config.uploadUrlExpiresIn,
        ...(contentLength === undefined ? {} : { signableHeaders: new Set(['content-length']) })
      })
      const headers: Record<string, string> = contentLength === undefined ? {} : { 'content-length': String(contentLength) }
      return {
        url,
        headers,
        expiresAt: new Date(Date.now() + config.uploadUrlExpiresIn * 1000)
      }
    },
    getFile: filename => reading(config, () => table.get(filename)),
    listFiles: (limit, cursor) => reading(config, () => table.list(limit, cursor)),
    checkReady: async () => {
      const [bucket, tableState] = await Promise.all([
        state(() => s3.send(new HeadBucketCommand({ Bucket: config.bucketName }))),
        state(() => dynamodb.send(new DescribeTableCommand({ TableName: config.tableName })))
      ])
      return { [`s3://${config.bucketName}`]: bucket, [`dynamodb:${config.tableName}`]: tableState }
    }
  }
}

/** Runs a table read, answering 503 when DynamoDB cannot be reached. */
async function reading<T> (config: Config, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (err) {
    if (err instanceof InvalidCursorError) throw new HttpProblem(400, err.code, err.message)
    if ((err as Error).name === 'ValidationException') throw err
    throw new HttpProblem(503, 'service-unavailable',
      `The metadata table ${config.tableName} cannot be reached right now (${describe(err)}). Retry shortly; GET /ready shows the state of each dependency.`)
  }
}

async function state (check: () => Promise<unknown>): Promise<string> {
  try {
    await check()
    return 'ok'
  } catch (err) {
    return describe(err)
  }
}

function describe (err: unknown): string {
  const error = err as Error & { code?: string, $metadata?: { httpStatusCode?: number } }
  return error.code ?? (error.name === 'Error' ? error.message : error.name)
}
