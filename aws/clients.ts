// Builds the S3 and DynamoDB clients the same way everywhere: path-style, checksums only when required.
import { S3Client } from '@aws-sdk/client-s3'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { Config } from '../shared/config.ts'

type ClientConfig = Pick<Config, 'awsRegion' | 'awsEndpoint' | 'credentials'>

export interface ClientOptions {
  /** Endpoint override, e.g. the public S3 endpoint for presigning. */
  endpoint?: string | undefined
  /** Fail fast instead of the SDK's long default retries (the API answers people who wait). */
  interactive?: boolean
}

/** Timeouts (ms) of interactive calls: the API answers people who wait. */
export const INTERACTIVE_TIMEOUTS = { connectionTimeout: 2000, requestTimeout: 10_000 }

/** Region, endpoint, credentials and timeouts every client of the product takes (the SDK clients share these fields). */
export function clientSettings (config: ClientConfig, options: ClientOptions = {}) {
  const endpoint = options.endpoint ?? config.awsEndpoint
  return {
    region: config.awsRegion,
    ...(endpoint === undefined ? {} : { endpoint }),
    // Unset: the SDK's default chain (environment, profile, the Lambda role).
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    ...(options.interactive === true
      ? { maxAttempts: 2, requestHandler: INTERACTIVE_TIMEOUTS }
      : {})
  }
}

export function createS3Client (config: ClientConfig, options: ClientOptions = {}): S3Client {
  const settings = clientSettings(config, options)
  return new S3Client({
    ...settings,
    // Emulators serve buckets by path, not by virtual host.
    forcePathStyle: 'endpoint' in settings,
    // Default checksums make emulators store aws-chunked bodies and put an empty-body checksum in presigned URLs.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED'
  })
}

export function createDynamoDBClient (config: ClientConfig, options: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(clientSettings(config, options))
}

export function createDocumentClient (config: ClientConfig, options: ClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoDBClient(config, options), {
    marshallOptions: { removeUndefinedValues: true }
  })
}
