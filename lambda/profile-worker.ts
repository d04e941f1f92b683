// A worker thread of the profile pool (profile-pool.ts) and of the profile thread (profile-thread.ts): profiles each
// piece of text it is sent and answers its state, or scans one whole text sent block by block (`stream` messages).
import { parentPort } from 'node:worker_threads'
import { profilePiece, type PieceJob } from '../shared/csv-pieces.ts'
import { StreamScan, type StreamJob } from '../shared/csv-stream.ts'
import { borrowInstance, returnInstance } from '../shared/csv-wasm.ts'

type StreamMessage = { stream: 'warm' } | { stream: 'open', job: StreamJob } | { stream: 'block', block: ArrayBuffer, length: number } | { stream: 'finish' } | { stream: 'close' }
type PieceMessage = { job: PieceJob, piece: Uint8Array, handOver: boolean }

const port = parentPort!
/** The text being scanned, between `open` and `finish` or `close`. */
let text: StreamScan | undefined

port.on('message', (message: StreamMessage | PieceMessage) => {
  try {
    if ('stream' in message) stream(message)
    else piece(message)
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) })
  }
})

function stream (message: StreamMessage): void {
  switch (message.stream) {
    case 'warm':
      // An instance made now is the one the first text borrows.
      returnInstance(borrowInstance())
      port.postMessage({ warm: true })
      return
    case 'open':
      text?.close()
      text = new StreamScan(message.job)
      return
    case 'block': {
      // The block goes back with the answer, for the text's next bytes to be copied into.
      text!.push(new Uint8Array(message.block, 0, message.length))
      port.postMessage({ block: message.block, gaveUp: text!.gaveUp }, [message.block])
      return
    }
    case 'finish':
      port.postMessage({ findings: text!.finish() })
      text = undefined
      return
    case 'close':
      text?.close()
      text = undefined
  }
}

function piece ({ job, piece, handOver }: PieceMessage): void {
  const result = profilePiece(job, piece)
  // A piece handed over goes back with the answer, for the next piece to be copied into.
  if (handOver) port.postMessage({ result: { ...result, buffer: piece.buffer } }, [piece.buffer as ArrayBuffer])
  else port.postMessage({ result })
}
