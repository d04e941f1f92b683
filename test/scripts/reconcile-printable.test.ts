// `npm run reconcile` prints keys and errors made safe for the operator's terminal: no raw escape or line break.
import t from 'tap'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { writeDeadLetter } from '../../embedded/dead-letters.ts'
import { startEmulator } from '../helpers/stack.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

t.test('a key holding ESC[2J and a newline is shown escaped', async t => {
  const { config, table } = await startEmulator(t)
  const hostile = 'evil\u001b[2J\nname.csv'
  // An orphan record (its object is gone) is listed by its key, the way any drift is.
  await table.put({ filename: hostile, etag: 'gone', status: 'processed', upload_timestamp: '2026-11-24T10:00:00.000Z', file_size_bytes: 1 })
  writeDeadLetter(config.dataDir, { Records: [] }, `failed: ${hostile}`)

  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts', '--dry-run'], {
    cwd: ROOT,
    env: { ...process.env, STACK: 'embedded', EMBEDDED_PORT: String(config.embeddedPort), DATA_DIR: config.dataDir }
  })
  t.match(stdout, /orphan +evil\\u001b\[2J\\u000aname\.csv\n/, 'the drifted key, escaped')
  t.match(stdout, /: failed: evil\\u001b\[2J\\u000aname\.csv\n/, 'the dead letter\'s error, escaped')
  t.notOk(stdout.includes('\u001b'), 'no raw escape reaches the terminal')
  t.equal(stdout.split('\n').filter(line => line.includes('name.csv')).length, 2, 'each key stays on its own line')
})
