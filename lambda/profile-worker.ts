// A worker thread of the profile pool (profile-pool.ts): profiles each piece of text it is sent and answers its state.
import { parentPort } from 'node:worker_threads'
import { profilePiece, type PieceJob } from '../shared/csv-pieces.ts'

const port = parentPort!
port.on('message', ({ job, piece }: { job: PieceJob, piece: Uint8Array }) => {
  try {
    port.postMessage({ result: profilePiece(job, piece) })
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) })
  }
})
