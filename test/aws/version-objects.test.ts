// Deleting the objects of replaced versions (records too large for the table, whole profiles) against the
// embedded S3: only the file's other versions, only those old enough, past a page of the listing.
import t from 'tap'
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { pruneVersionObjects, versionObjectKey } from '../../aws/large-records.ts'
import { profileObjectKey } from '../../aws/profile-objects.ts'
import { startEmulator } from '../helpers/stack.ts'

const LATER = () => new Date(Date.now() + 60_000)

async function keysUnder (s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
    keys.push(...(page.Contents ?? []).map(o => o.Key!))
    token = page.NextContinuationToken
  } while (token !== undefined)
  return keys.sort()
}

t.test('pruneVersionObjects', async t => {
  const { config, s3 } = await startEmulator(t)
  const bucket = config.bucketName
  const put = (key: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{}' }))
  const versions = async (filename: string, etags: string[]) => {
    await Promise.all(etags.flatMap(etag => [put(profileObjectKey(filename, etag)), put(versionObjectKey(filename, etag, '.json'))]))
  }

  t.test('deletes the other versions\' record and profile, keeps the one named and other files\' objects', async t => {
    await versions('a.csv', ['1111', '2222', '3333'])
    await versions('b.csv', ['1111'])
    t.equal(await pruneVersionObjects(s3, bucket, 'a.csv', '3333', LATER()), 4)
    t.same(await keysUnder(s3, bucket, '.metadata/'), [
      profileObjectKey('a.csv', '3333'), versionObjectKey('a.csv', '3333', '.json'),
      profileObjectKey('b.csv', '1111'), versionObjectKey('b.csv', '1111', '.json')
    ].sort())
    t.equal(await pruneVersionObjects(s3, bucket, 'a.csv', '3333', LATER()), 0, 'nothing left to delete')
  })

  t.test('keeps objects last modified at or after `before`', async t => {
    await versions('recent.csv', ['1111'])
    t.equal(await pruneVersionObjects(s3, bucket, 'recent.csv', '2222', new Date(Date.now() - 60_000)), 0)
    t.equal((await keysUnder(s3, bucket, versionObjectKey('recent.csv', '', ''))).length, 2)
  })

  t.test('without a version to keep, deletes every one of the file (a deleted file)', async t => {
    await versions('gone.csv', ['1111', '2222'])
    t.equal(await pruneVersionObjects(s3, bucket, 'gone.csv', undefined, LATER()), 4)
    t.same(await keysUnder(s3, bucket, versionObjectKey('gone.csv', '', '')), [])
  })

  t.test('a name sharing a prefix with another is its own folder', async t => {
    await versions('c.csv', ['1111'])
    await versions('c.csv.bak', ['1111'])
    t.equal(await pruneVersionObjects(s3, bucket, 'c.csv', undefined, LATER()), 2)
    t.equal((await keysUnder(s3, bucket, versionObjectKey('c.csv.bak', '', ''))).length, 2)
  })

  t.test('past the first page of the listing (1,000 keys)', async t => {
    const etags = Array.from({ length: 501 }, (_, i) => `e${String(i).padStart(4, '0')}`)
    await versions('many.csv', etags)
    t.equal(await pruneVersionObjects(s3, bucket, 'many.csv', 'e0500', LATER()), 1000)
    t.same(await keysUnder(s3, bucket, versionObjectKey('many.csv', '', '')), [profileObjectKey('many.csv', 'e0500'), versionObjectKey('many.csv', 'e0500', '.json')].sort())
  })
})
