// The committed OpenAPI document matches the routes, and Swagger UI serves it.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { buildApp } from '../../api/app.ts'
import { openApiDocument, OPENAPI_PATH } from '../../scripts/generate-openapi.ts'
import { testConfig } from '../helpers/stack.ts'

t.test('openapi/openapi.json is up to date (run `npm run openapi` after changing a route)', async t => {
  t.equal(readFileSync(OPENAPI_PATH, 'utf8'), await openApiDocument())
})

t.test('the document describes every route with a summary and its error responses', async t => {
  const document = JSON.parse(await openApiDocument())
  t.equal(document.openapi, '3.1.0')
  t.same(Object.keys(document.paths).sort(), ['/files', '/files/{name}', '/health', '/ready', '/uploads'])
  for (const [path, operations] of Object.entries<Record<string, { summary?: string, responses: Record<string, unknown> }>>(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      t.ok(operation.summary, `${method} ${path} has a summary`)
      t.ok(Object.keys(operation.responses).some(code => Number(code) >= 400) || path === '/health', `${method} ${path} documents its errors`)
    }
  }
  t.ok(document.components.schemas.FileMetadata.examples.length > 0, 'FileMetadata has an example')
})

t.test('Swagger UI is served at /docs and the document at /docs/json', async t => {
  const app = await buildApp({ config: testConfig() })
  t.teardown(() => app.close())
  const ui = await app.inject('/docs/')
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  const json = await app.inject('/docs/json')
  t.equal(json.statusCode, 200)
  t.same(Object.keys(json.json().paths).sort(), ['/files', '/files/{name}', '/health', '/ready', '/uploads'])
})
