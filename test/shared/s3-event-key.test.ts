// Event keys: encoded the way S3 writes them into notifications, and decoded back.
import t from 'tap'
import { decodeEventKey, encodeEventKey } from '../../shared/s3-event-key.ts'

t.test('encodes like S3: space as "+", "/" kept, everything else percent-encoded', async t => {
  t.equal(encodeEventKey('example.csv'), 'example.csv')
  t.equal(encodeEventKey('my file (1).csv'), 'my+file+%281%29.csv')
  t.equal(encodeEventKey('a+b.csv'), 'a%2Bb.csv')
  t.equal(encodeEventKey('100%.csv'), '100%25.csv')
  t.equal(encodeEventKey('dir/sub dir/x.csv'), 'dir/sub+dir/x.csv')
  t.equal(encodeEventKey('été.csv'), '%C3%A9t%C3%A9.csv')
})

t.test('decoding reverses encoding for awkward keys', async t => {
  for (const key of ['example.csv', 'a b+c%d.csv', "it's (really) *odd*!.csv", 'dir/日本語/ファイル.csv', '+++.csv']) {
    t.equal(decodeEventKey(encodeEventKey(key)), key, key)
  }
})
