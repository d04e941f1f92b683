// Creates the bucket and the table when they are missing; safe to run on every start.
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3'
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, waitUntilTableExists, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { tableDefinition } from './metadata-table.ts'

export async function ensureBucket (s3: S3Client, bucketName: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucketName }))
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw err
    await s3.send(new CreateBucketCommand({ Bucket: bucketName }))
  }
}

export async function ensureTable (dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))
    return
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err
  }
  await dynamodb.send(new CreateTableCommand(tableDefinition(tableName)))
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName })
}
