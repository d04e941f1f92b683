// The committed OpenAPI document matches the routes, and Swagger UI serves it.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { buildApp } from '../../api/app.ts'
import { openApiDocument, OPENAPI_PATH } from '../../scripts/generate-openapi.ts'
import { testConfig } from '../helpers/stack.ts'

const PATHS = ['/events', '/files', '/files/{name}', '/files/{name}/download', '/files/{name}/profile', '/health', '/ready', '/s3/multipart', '/s3/multipart/{uploadId}', '/s3/multipart/{uploadId}/complete', '/s3/multipart/{uploadId}/{partNumber}', '/uploads']

t.test('openapi/openapi.json is up to date (run `npm run openapi` after changing a route)', async t => {
  t.equal(readFileSync(OPENAPI_PATH, 'utf8'), await openApiDocument())
})

t.test('the document describes every route with a summary and its error responses', async t => {
  const document = JSON.parse(await openApiDocument())
  t.equal(document.openapi, '3.1.0')
  t.same(Object.keys(document.paths).sort(), PATHS)
  for (const [path, operations] of Object.entries<Record<string, { summary?: string, responses: Record<string, unknown> }>>(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      t.ok(operation.summary, `${method} ${path} has a summary`)
      t.ok(Object.keys(operation.responses).some(code => Number(code) >= 400) || path === '/health', `${method} ${path} documents its errors`)
    }
  }
  t.ok(document.components.schemas.FileMetadata.examples.length > 0, 'FileMetadata has an example')
  t.ok(document.components.schemas.FileProfile.examples.length > 0, 'FileProfile has an example')
})

t.test('Swagger UI is served at /docs and the document at /docs/json', async t => {
  const app = await buildApp({ config: testConfig() })
  t.teardown(() => app.close())
  const ui = await app.inject('/docs/')
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  const json = await app.inject('/docs/json')
  t.equal(json.statusCode, 200)
  t.same(Object.keys(json.json().paths).sort(), PATHS)
})

t.test('what Swagger UI shows: defaults not required, one example per error, the name as Swagger sends it, locks only with a key', async t => {
  const document = JSON.parse(await openApiDocument())
  const list = document.paths['/files'].get
  t.same(list.parameters.filter((p: { required: boolean }) => p.required).map((p: { name: string }) => p.name), [], 'limit has a default: not required')
  const examples = new Map<string, string>()
  for (const [path, operations] of Object.entries<Record<string, { responses: Record<string, { content?: Record<string, { example?: { status: number, code: string } }> }> }>>(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const example = response.content?.['application/problem+json']?.example
        if (Number(status) < 400) continue
        t.ok(example, `${method} ${path} ${status} has its own example`)
        t.equal(example?.status, Number(status), `${method} ${path} ${status}: the example's status is the response's`)
        if (example !== undefined) examples.set(`${method} ${path} ${status}`, example.code)
      }
    }
  }
  t.equal(examples.get('get /files/{name} 404'), 'file-not-found')
  t.equal(examples.get('get /files 400'), 'invalid-request')
  t.equal(examples.get('post /uploads 400'), 'invalid-filename')
  t.equal(examples.get('post /s3/multipart/{uploadId}/complete 400'), 'invalid-parts')
  const name = document.paths['/files/{name}'].get.parameters.find((p: { in: string }) => p.in === 'path')
  t.match(name.description, /as it is: Swagger UI encodes it/)
  t.notMatch(name.description, /^The filename \(object key\), URL-encoded\.$/)
  t.equal(document.components.securitySchemes, undefined, 'no security scheme without API_KEY')
  t.notOk(JSON.stringify(document.paths).includes('"security"'), 'no operation asks for a key')
  t.match(document.paths['/uploads'].post.description, /open the page at `\/`/)

  const keyed = await buildApp({ config: testConfig({ apiKey: 'a-long-enough-api-key' }) })
  t.teardown(() => keyed.close())
  const withKey = (await keyed.inject('/docs/json')).json()
  t.same(withKey.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: 'The API_KEY this server was started with.' })
  t.same(withKey.paths['/files'].get.security, [{ bearerAuth: [] }], 'with API_KEY, the key is required')
  t.equal(withKey.paths['/health'].get.security, undefined, 'and /health stays open')
})
