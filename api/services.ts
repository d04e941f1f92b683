// What the routes need from AWS (presigning, the metadata table, readiness), wired from the configuration.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  HeadBucketCommand, HeadObjectCommand, ListPartsCommand
} from '@aws-sdk/client-s3'
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb'
import type { S3Client } from '@aws-sdk/client-s3'
import { createDocumentClient, createDynamoDBClient, createS3Client } from '../aws/clients.ts'
import { completeRecord, listedRecord } from '../aws/large-records.ts'
import { getProfileObject } from '../aws/profile-objects.ts'
import { MetadataTable, type Change, type FeedPosition, type ListFilters } from '../aws/metadata-table.ts'
import { createPresigner } from '../aws/presign.ts'
import { reaching, reasonOf } from '../aws/unavailable.ts'
import type { FileProfile } from '../shared/column-profile.ts'
import { Status, type FileMetadata } from '../shared/file-record.ts'
import type { ApiConfig } from './config.ts'

export interface PresignedUpload {
  url: string
  /** Headers the client must send with the PUT. */
  headers: Record<string, string>
  expiresAt: Date
}

export interface UploadedPart {
  PartNumber: number
  Size: number
  ETag: string
}

/** The routes' ports; they throw DependencyUnavailableError when S3 or DynamoDB cannot be reached. */
export interface ApiServices {
  presignUpload: (key: string, contentLength?: number) => Promise<PresignedUpload>
  /** Records that `record` (status `uploading`) is on its way; false when the file already has a record. */
  recordUpload: (record: FileMetadata) => Promise<boolean>
  /** The file's record, `uploading` ones included (expired or not). */
  getFile: (filename: string) => Promise<FileMetadata | undefined>
  listFiles: (limit: number, cursor?: string, filters?: ListFilters) => Promise<{ items: FileMetadata[], nextCursor: string | null }>
  /** Deletes the object (its record becomes a tombstone through the event), or an `uploading` record with no object. */
  deleteFile: (record: FileMetadata) => Promise<void>
  /** Removes the file's `uploading` record when no object has arrived; false when one has, or the record is another. */
  dropUpload: (filename: string) => Promise<boolean>
  /** A presigned GET of the object that downloads it as an attachment named after the file. */
  presignDownload: (filename: string) => Promise<string>
  /** Changes to records after `position`, oldest first (at least `max`, all by default), records as GET /files lists them. */
  changesAfter: (position: FeedPosition, max?: number) => Promise<Change[]>
  multipart: MultipartServices
  /** The profile of the version `file` describes; undefined when that version has none. */
  getProfile: (file: FileMetadata) => Promise<FileProfile | undefined>
  /** Each dependency and "ok", or what is wrong with it. */
  checkReady: () => Promise<Record<string, string>>
}

/** S3 multipart uploads of `key` (the filename); S3's own errors (NoSuchUpload, InvalidPart, …) are rethrown. */
export interface MultipartServices {
  create: (key: string, contentType: string | undefined) => Promise<string>
  presignPart: (key: string, uploadId: string, partNumber: number) => Promise<{ url: string, expiresAt: Date }>
  /** Every part uploaded so far, all pages of ListParts. */
  listParts: (key: string, uploadId: string) => Promise<UploadedPart[]>
  /** Completes the upload; resolves to the object's URL. */
  complete: (key: string, uploadId: string, parts: Array<{ PartNumber: number, ETag: string }>) => Promise<string>
  abort: (key: string, uploadId: string) => Promise<void>
}

/** What every route plugin is registered with. */
export interface RouteOptions {
  config: ApiConfig
  services: ApiServices
}

export function createServices (config: ApiConfig): ApiServices {
  const interactive = { interactive: true }
  const s3 = createS3Client(config, interactive)
  // Completing a multipart upload of gigabytes takes longer than an interactive call may.
  const completer = createS3Client(config)
  const presigner = createS3Client(config, { endpoint: config.s3PublicEndpoint })
  const presign = createPresigner(presigner, config.bucketName)
  const dynamodb = createDynamoDBClient(config, interactive)
  const table = new MetadataTable(createDocumentClient(config, interactive), config.tableName)
  const tableName = `dynamodb:${config.tableName}`
  const bucketName = `s3://${config.bucketName}`
  const dropUpload = async (filename: string) =>
    !await reaching(bucketName, () => objectExists(s3, config.bucketName, filename)) &&
    reaching(tableName, () => table.deleteUploading(filename, new Date().toISOString()))

  return {
    presignUpload: async (key, contentLength) => {
      const headers: Record<string, string> = contentLength === undefined ? {} : { 'content-length': String(contentLength) }
      return {
        url: await presign('PUT', key, {}, headers, config.uploadUrlExpiresIn),
        headers,
        expiresAt: new Date(Date.now() + config.uploadUrlExpiresIn * 1000)
      }
    },
    recordUpload: record => reaching(tableName, () => table.putUploading(record)),
    getFile: async filename => {
      const stored = await reaching(tableName, () => table.get(filename))
      return stored === undefined ? undefined : reaching(bucketName, () => completeRecord(s3, config.bucketName, stored))
    },
    listFiles: async (limit, cursor, filters) => {
      const page = await reaching(tableName, () => table.list(limit, cursor, filters))
      return { ...page, items: page.items.map(listedRecord) }
    },
    deleteFile: async record => {
      if (record.status === Status.uploading && await dropUpload(record.filename)) return
      await reaching(bucketName, () => s3.send(new DeleteObjectCommand({ Bucket: config.bucketName, Key: record.filename })))
    },
    dropUpload,
    presignDownload: filename => presign('GET', filename, { 'response-content-disposition': attachment(filename) }, {}, config.uploadUrlExpiresIn),
    changesAfter: async (position, max) => {
      const changes = await reaching(tableName, () => table.changesAfter(position, max))
      return changes.map(change => change.deleted ? change : { ...change, record: listedRecord(change.record) })
    },
    multipart: {
      create: async (Key, ContentType) => {
        const { UploadId } = await reaching(bucketName, () => s3.send(new CreateMultipartUploadCommand({ Bucket: config.bucketName, Key, ContentType })))
        return UploadId!
      },
      presignPart: async (Key, UploadId, PartNumber) => ({
        url: await presign('PUT', Key, { partNumber: String(PartNumber), uploadId: UploadId }, {}, config.uploadUrlExpiresIn),
        expiresAt: new Date(Date.now() + config.uploadUrlExpiresIn * 1000)
      }),
      listParts: async (Key, UploadId) => {
        const parts: UploadedPart[] = []
        // Paged by IsTruncated: the SDK's paginator follows NextPartNumberMarker, which some S3s send on the last page too.
        let marker: string | undefined
        for (;;) {
          const page = await reaching(bucketName, () => s3.send(new ListPartsCommand({ Bucket: config.bucketName, Key, UploadId, PartNumberMarker: marker })))
          for (const part of page.Parts ?? []) parts.push({ PartNumber: part.PartNumber!, Size: part.Size ?? 0, ETag: part.ETag! })
          if (page.IsTruncated !== true || page.NextPartNumberMarker === undefined) return parts
          marker = page.NextPartNumberMarker
        }
      },
      complete: async (Key, UploadId, Parts) => {
        const { Location } = await reaching(bucketName, () => completer.send(new CompleteMultipartUploadCommand({
          Bucket: config.bucketName, Key, UploadId, MultipartUpload: { Parts }
        })))
        return config.s3PublicEndpoint === undefined
          ? Location ?? ''
          : `${config.s3PublicEndpoint.replace(/\/$/, '')}/${config.bucketName}/${Key.split('/').map(encodeURIComponent).join('/')}`
      },
      abort: async (Key, UploadId) => {
        await reaching(bucketName, () => s3.send(new AbortMultipartUploadCommand({ Bucket: config.bucketName, Key, UploadId })))
      }
    },
    getProfile: async file => file.sha256 === undefined
      ? undefined
      : reaching(bucketName, () => getProfileObject(s3, config.bucketName, file.filename, file.etag)),
    checkReady: async () => {
      const [bucket, tableState] = await Promise.all([
        state(() => s3.send(new HeadBucketCommand({ Bucket: config.bucketName }))),
        state(() => dynamodb.send(new DescribeTableCommand({ TableName: config.tableName })))
      ])
      return { [bucketName]: bucket, [tableName]: tableState }
    }
  }
}

async function objectExists (s3: S3Client, Bucket: string, Key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket, Key }))
    return true
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false
    throw err
  }
}

/** Content-Disposition naming the file (RFC 6266): an ASCII fallback, and the exact name percent-encoded. */
function attachment (filename: string): string {
  const base = filename.slice(filename.lastIndexOf('/') + 1)
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base).replace(/['()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`
}

async function state (check: () => Promise<unknown>): Promise<string> {
  try {
    await check()
    return 'ok'
  } catch (err) {
    return reasonOf(err)
  }
}
