// The page at /: wires the uploader, this visit's uploads, the file list, the detail and the live feed together.
import './styles.css'
import { ApiError, apiKey, listFiles, sendKeyToS3Routes, setApiKey } from './api.ts'
import { DetailView } from './detail-view.ts'
import { byId } from './dom.ts'
import { Feed } from './feed.ts'
import { FilesView } from './files-view.ts'
import { SessionView } from './session.ts'
import { startUploader } from './uploader.ts'

sendKeyToS3Routes()

const detail = new DetailView()
const open = (name: string) => { detail.open(name).catch(console.error) }
const session = new SessionView(open)
const keyForm = byId<HTMLFormElement>('key-form')
const files = new FilesView({ open, unauthorized: () => askForKey('This server needs an API key.') })
const live = byId('live')

const feed = new Feed({
  file: record => {
    files.update(record)
    session.update(record)
    detail.update(record)
  },
  deleted: name => {
    files.remove(name)
    session.deleted(name)
    detail.deleted(name)
  },
  mode: mode => {
    live.textContent = mode === 'live' ? 'Live updates' : 'Updates by polling'
    live.dataset.mode = mode
    if (mode === 'polling') for (const name of session.pending()) feed.watch(name)
  }
})

startUploader(byId('dashboard'), {
  added: (name, size) => session.added(name, size),
  progress: (name, sent, total) => session.progress(name, sent, total),
  uploaded: name => {
    session.uploaded(name)
    feed.watch(name)
  },
  failed: (name, message) => session.failed(name, message)
})

function askForKey (message: string): void {
  keyForm.hidden = false
  const input = byId<HTMLInputElement>('api-key')
  input.setCustomValidity(apiKey() === undefined ? '' : 'This key was refused.')
  byId('key-message').textContent = message
  input.focus()
}

keyForm.addEventListener('submit', event => {
  event.preventDefault()
  setApiKey(byId<HTMLInputElement>('api-key').value.trim())
  start().catch(console.error)
})
byId('key-forget').addEventListener('click', () => {
  setApiKey(undefined)
  byId<HTMLInputElement>('api-key').value = ''
  start().catch(console.error)
})

/** Checks the key (one small list request), then loads the list and opens the feed. */
async function start (): Promise<void> {
  try {
    await listFiles({ limit: 1 })
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      askForKey(apiKey() === undefined ? 'This server needs an API key.' : 'The key was refused; enter it again.')
      return
    }
  }
  byId('key-message').textContent = ''
  if (apiKey() !== undefined) keyForm.hidden = false
  files.reload()
  feed.start()
}

start().catch(console.error)
