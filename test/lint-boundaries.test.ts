// The folder boundaries of the architecture are enforced by lint: an import across one fails `npm run lint`.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'

const eslint = new ESLint({ cwd: fileURLToPath(new URL('..', import.meta.url)) })

/** The boundary messages lint gives `code` as if it were the file at `path`. */
async function violations (path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path })
  return (result?.messages ?? []).filter(m => m.ruleId === 'no-restricted-imports').map(m => m.message)
}

const importing = (what: string) => `import * as x from '${what}'\nexport const y = x\n`

t.test('shared/ is the pure core: no AWS SDK, Fastify, file system, or adapter', async t => {
  for (const target of ['@aws-sdk/client-s3', '@smithy/signature-v4', 'fastify', '@fastify/cors', 'node:fs', 'fs', '../aws/clients.ts', '../api/app.ts', '../embedded/stack.ts']) {
    t.match(await violations('shared/probe.ts', importing(target)), [/shared\/ is the pure core/], target)
  }
  t.same(await violations('shared/probe.ts', importing('./csv-scan.ts')), [], 'within shared/ is fine')
  t.same(await violations('shared/probe.ts', importing('node:stream')), [], 'streams are fine')
})

t.test('api/ and lambda/ never import each other, nor embedded/', async t => {
  t.match(await violations('api/probe.ts', importing('../lambda/handler.ts')), [/no import from lambda\//])
  t.match(await violations('api/routes/probe.ts', importing('../../lambda/handler.ts')), [/no import from lambda\//])
  t.match(await violations('api/probe.ts', importing('../embedded/stack.ts')), [/no import from embedded\//])
  t.match(await violations('lambda/probe.ts', importing('../api/app.ts')), [/no import from api\//])
  t.match(await violations('lambda/probe.ts', importing('../embedded/lambda-runtime.ts')), [/no import from embedded\//])
  t.same(await violations('api/probe.ts', importing('../aws/clients.ts')), [], 'the SDK adapters are fine')
  t.same(await violations('lambda/probe.ts', importing('../shared/process-object.ts')), [], 'the core is fine')
})

t.test('aws/ adapters do not reach up into their callers', async t => {
  t.match(await violations('aws/probe.ts', importing('../api/services.ts')), [/no import from api\//])
  t.match(await violations('aws/probe.ts', importing('fastify')), [/no fastify/])
})

t.test('scripts/ (the bench included) never import the tests\' helpers', async t => {
  t.match(await violations('scripts/bench/probe.ts', importing('../../test/helpers/stack.ts')), [/no import from test\//])
  t.match(await violations('scripts/probe.ts', importing('../test/helpers/stack.ts')), [/no import from test\//])
  t.same(await violations('scripts/bench/probe.ts', importing('../lib/free-port.ts')), [], 'scripts/lib/ is where they share code')
})

t.test('web/ (the page) shares only shared/ with the rest, and api/ serves it only as built files', async t => {
  for (const target of ['node:fs', 'fs', '../../api/app.ts', '../../aws/clients.ts', '../../infra/web-bundle.ts', 'fastify', '@aws-sdk/client-s3']) {
    t.match(await violations('web/src/probe.ts', importing(target)), [/web\/ is the page/], target)
  }
  t.same(await violations('web/src/probe.ts', importing('../../shared/filename.ts')), [], 'the core\'s rules are fine')
  t.same(await violations('web/src/probe.ts', importing('@uppy/core')), [], 'browser packages are fine')
  t.match(await violations('api/routes/probe.ts', importing('../../web/src/api.ts')), [/no import from web\//])
  t.match(await violations('shared/probe.ts', importing('../web/src/api.ts')), [/no import from web\//])
})
