// A worker thread of the profile pool (profile-pool.ts): profiles each piece of text it is sent and answers its state.
import { parentPort } from 'node:worker_threads'
import { profilePiece, type PieceJob } from '../shared/csv-pieces.ts'

const port = parentPort!
port.on('message', ({ job, piece, handOver }: { job: PieceJob, piece: Uint8Array, handOver: boolean }) => {
  try {
    const result = profilePiece(job, piece)
    // A piece handed over goes back with the answer, for the next piece to be copied into.
    if (handOver) port.postMessage({ result: { ...result, buffer: piece.buffer } }, [piece.buffer as ArrayBuffer])
    else port.postMessage({ result })
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) })
  }
})
