// The IAM statements of the processor and of the API: one source for LocalStack provisioning and the CDK stack.
import { FEED_INDEX, LISTING_INDEX } from '../aws/metadata-table.ts'
import { RECORD_OBJECT_PREFIX } from '../shared/file-record.ts'

export interface PolicyStatement {
  Sid: string
  Effect: 'Allow'
  Action: string[]
  Resource: string[]
}

export interface PolicyDocument {
  Version: '2012-10-17'
  Statement: PolicyStatement[]
}

export interface ResourceArns {
  bucketArn: string
  tableArn: string
  /** The function's log group, `arn:aws:logs:<region>:<account>:log-group:/aws/lambda/<name>`. */
  logGroupArn: string
}

/**
 * The processor reads objects, writes items (and, under .metadata/ only, the records too large for one and the
 * profiles, deleting those of replaced versions), publishes verdicts on its event bus, sends failed events to its
 * queue and writes its logs: nothing else.
 */
export function processorStatements ({ bucketArn, tableArn, logGroupArn, queueArn, eventBusArn }: ResourceArns & { queueArn: string, eventBusArn: string }): PolicyStatement[] {
  return [
    { Sid: 'ReadUploads', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucketArn}/*`] },
    // Without ListBucket, S3 answers AccessDenied instead of NoSuchKey for an object deleted before it was read.
    { Sid: 'TellMissingFromForbidden', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucketArn] },
    { Sid: 'WriteMetadata', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: [tableArn] },
    // Writes records too large for the table and whole profiles, and deletes those of replaced versions.
    { Sid: 'WriteLargeRecords', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: [`${bucketArn}/${RECORD_OBJECT_PREFIX}*`] },
    // Lambda sends an event that failed every retry to the on-failure destination with the function's role.
    { Sid: 'KeepFailedEvents', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [queueArn] },
    { Sid: 'PublishVerdicts', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [eventBusArn] },
    ...logStatements(logGroupArn)
  ]
}

/** The webhook sender only sends HTTP requests: it writes its logs and hands events it gave up on to its queue. */
export function webhookSenderStatements ({ logGroupArn, queueArn }: { logGroupArn: string, queueArn: string }): PolicyStatement[] {
  return [
    { Sid: 'KeepUndeliveredWebhooks', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [queueArn] },
    ...logStatements(logGroupArn)
  ]
}

/**
 * The API signs upload URLs (so it needs PutObject itself), reads the table and the records too large for it
 * (under .metadata/ only, never the uploads), and checks both for /ready.
 */
export function apiStatements ({ bucketArn, tableArn, logGroupArn }: ResourceArns): PolicyStatement[] {
  return [
    // PutObject also covers the multipart upload's create, parts and complete.
    { Sid: 'SignUploadUrls', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${bucketArn}/*`] },
    { Sid: 'ManageMultipartUploads', Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: [`${bucketArn}/*`] },
    { Sid: 'CheckBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucketArn] },
    { Sid: 'ReadMetadata', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'], Resource: [tableArn, `${tableArn}/index/${LISTING_INDEX}`, `${tableArn}/index/${FEED_INDEX}`] },
    // An `uploading` record (UpdateItem, conditional), and the tombstone of one whose upload never came (PutItem, conditional).
    { Sid: 'RecordUploads', Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:PutItem'], Resource: [tableArn] },
    // Downloads (a presigned GET carries its signer's permissions), HEAD before deleting, the records under .metadata/.
    { Sid: 'ReadObjects', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucketArn}/*`] },
    { Sid: 'DeleteFiles', Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: [`${bucketArn}/*`] },
    ...logStatements(logGroupArn)
  ]
}

export function policyDocument (statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements }
}

/** Lets Lambda assume a function's role. */
export const LAMBDA_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]
} as const

function logStatements (logGroupArn: string): PolicyStatement[] {
  return [{ Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`${logGroupArn}:*`] }]
}
