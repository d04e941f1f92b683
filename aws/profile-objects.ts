// The whole column profile of one version of a file, kept as JSON in the bucket beside large records: a wide
// file's profile is megabytes, far past a DynamoDB item, so the item keeps only its summary.
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { FileProfile } from '../shared/column-profile.ts'
import { versionObjectKey } from './large-records.ts'

/** `.metadata/<sha256 of the filename>/<ETag>.profile.json`: one object per version, never read for another. */
export function profileObjectKey (filename: string, etag: string): string {
  return versionObjectKey(filename, etag, '.profile.json')
}

export async function putProfileObject (s3: S3Client, bucket: string, filename: string, etag: string, profile: FileProfile): Promise<void> {
  await s3.send(new PutObjectCommand({
    Bucket: bucket,
    Key: profileObjectKey(filename, etag),
    Body: JSON.stringify(profile),
    ContentType: 'application/json'
  }))
}

/** The profile of that version, or undefined when its object is not there (deleted by someone). */
export async function getProfileObject (s3: S3Client, bucket: string, filename: string, etag: string): Promise<FileProfile | undefined> {
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: profileObjectKey(filename, etag) }))
    return JSON.parse(await Body!.transformToString()) as FileProfile
  } catch (err) {
    if (err instanceof NoSuchKey) return undefined
    throw err
  }
}
