// The optional API key and CORS, for the API and for browser PUTs to the embedded bucket.
import t from 'tap'
import { buildApp } from '../../api/app.ts'
import { startTestStack, testConfig } from '../helpers/stack.ts'

const KEY = 'k3y-0f-at-least-16-chars'

t.test('with API_KEY, /uploads and /files need the bearer key; health, readiness and docs stay open', async t => {
  const app = await buildApp({ config: testConfig({ apiKey: KEY }) })
  t.teardown(() => app.close())
  const upload = (authorization?: string) => app.inject({
    method: 'POST',
    url: '/uploads',
    payload: { filename: 'a.csv' },
    headers: authorization === undefined ? {} : { authorization }
  })

  const none = await upload()
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], 'Bearer')
  t.match(none.json(), { code: 'unauthorized', detail: /Authorization: Bearer <API_KEY>/ })
  t.match((await upload('Bearer wrong-key')).json(), { status: 401, code: 'unauthorized', detail: 'The API key is not valid.' })
  t.match((await upload(`Basic ${KEY}`)).json(), { status: 401 })
  t.equal((await upload(`Bearer ${KEY}`)).statusCode, 201)
  t.equal((await app.inject('/files')).statusCode, 401)
  t.equal((await app.inject('/files/a.csv')).statusCode, 401)
  for (const open of ['/health', '/docs/json']) t.equal((await app.inject(open)).statusCode, 200, open)
  t.not((await app.inject('/ready')).statusCode, 401, '/ready answers without a key')
})

t.test('without API_KEY nothing asks for one', async t => {
  const app = await buildApp({ config: testConfig() })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'POST', url: '/uploads', payload: { filename: 'a.csv' } })).statusCode, 201)
})

t.test('a short API_KEY is refused at start-up', async t => {
  const { loadApiConfig } = await import('../../api/config.ts')
  const err = t.throws(() => loadApiConfig({ API_KEY: 'short' })) as Error
  t.match(err.message, /API_KEY=\(hidden\): must not have fewer than 16 characters/i)
  t.notMatch(err.message, /short/, 'the key itself is not printed')
})

t.test('CORS_ORIGINS lets a page on that origin call the API and PUT to the embedded bucket', async t => {
  const origin = 'https://app.example.com'
  const { config, stack } = await startTestStack(t, { corsOrigins: origin })
  const app = await buildApp({ config })
  t.teardown(() => app.close())

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/uploads',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], origin)
  const post = await app.inject({ method: 'POST', url: '/uploads', payload: { filename: 'a.csv' }, headers: { origin } })
  t.equal(post.headers['access-control-allow-origin'], origin)
  const deletion = await app.inject({
    method: 'OPTIONS',
    url: '/files/a.csv',
    headers: { origin, 'access-control-request-method': 'DELETE' }
  })
  t.equal(deletion.statusCode, 204)
  t.match(deletion.headers['access-control-allow-methods'], /DELETE/, 'DELETE /files/{name} from that page too')

  const s3Preflight = await fetch(`${stack.endpoint}/${config.bucketName}/a.csv`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'PUT' }
  })
  t.equal(s3Preflight.status, 200)
  t.equal(s3Preflight.headers.get('access-control-allow-origin'), origin, 'the bucket names the origin it allows')
  t.match(s3Preflight.headers.get('access-control-allow-methods'), /PUT/)
  const s3Other = await fetch(`${stack.endpoint}/${config.bucketName}/a.csv`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' }
  })
  t.equal(s3Other.status, 403, 'the bucket refuses other origins')

  const other = await app.inject({ method: 'POST', url: '/uploads', payload: { filename: 'a.csv' }, headers: { origin: 'https://evil.example' } })
  t.equal(other.headers['access-control-allow-origin'], undefined, 'other origins get no CORS headers')
})
