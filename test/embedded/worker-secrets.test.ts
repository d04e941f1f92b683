// Secrets stay in the process that needs them: a Lambda worker of the embedded stack never sees the API key, and gets
// the processor's own settings: its tuning as the user set it, and one stream by default.
import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { freePort } from '../helpers/stack.ts'

const SECRET = 'a-secret-api-key-nobody-else-sees'

t.test('a worker started by a stack whose process holds API_KEY does not have it, but has the processor\'s tuning', async t => {
  const dir = t.testdir({
    // The function: records the environment it was given.
    'handler.mjs': `import { writeFileSync } from 'node:fs'
export async function handler () { writeFileSync(process.env.RECORD_DIR + '/env.json', JSON.stringify(process.env)) }
`,
    // npm start's process, in miniature: the embedded stack started from an environment that holds the key.
    'start.ts': `import { loadEmbeddedConfig } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../embedded/config.ts')).href)}
import { startEmbeddedStack } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../embedded/stack.ts')).href)}
const config = loadEmbeddedConfig()
if (config.apiKey === undefined) throw new Error('the test meant this process to hold API_KEY')
const stack = await startEmbeddedStack(config, { handlerModule: process.argv[2], output: 'ignore', retryDelaysMs: [] })
stack.runtime.invoke({ probe: true })
await stack.runtime.idle()
await stack.close()
`
  })
  await promisify(execFile)(process.execPath, ['--import', 'tsx', join(dir, 'start.ts'), pathToFileURL(join(dir, 'handler.mjs')).href], {
    env: { ...process.env, API_KEY: SECRET, PROFILE_WORKERS: '0', S3_RANGE_BYTES: '1048576', S3_READ_CONCURRENCY: '', EMBEDDED_PORT: String(await freePort()), DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', RECORD_DIR: dir }
  })
  const seen = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as Record<string, string>
  t.notOk('API_KEY' in seen, 'no API_KEY variable')
  t.same(Object.entries(seen).filter(([, value]) => value.includes(SECRET)), [], 'nor the key under another name')
  t.match(seen, { BUCKET_NAME: 'test-bucket', TABLE_NAME: 'MetadataTable', AWS_ENDPOINT_URL: /^http:\/\/127\.0\.0\.1:\d+$/, MALLOC_TRIM_THRESHOLD_: '134217728' }, 'what the function needs is there')
  t.match(seen, { PROFILE_WORKERS: '0', S3_RANGE_BYTES: '1048576', S3_READ_CONCURRENCY: '1' }, 'the tuning set for npm start, and one stream when S3_READ_CONCURRENCY is unset')
})
