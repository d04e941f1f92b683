// A JSON-protocol AWS request (DynamoDB, EventBridge) as its signature verifier sees it: the body read up to a limit.
import type { IncomingMessage } from 'node:http'
import type { SignedRequest } from './s3/sigv4.ts'

/** Reads the whole body (throwing `tooLarge()` past `maxBytes`) and splits the URL into path and decoded query. */
export async function readSignedRequest (req: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<SignedRequest & { body: Buffer }> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw tooLarge()
    chunks.push(chunk)
  }
  const url = req.url ?? '/'
  const queryStart = url.indexOf('?')
  return {
    method: req.method ?? 'POST',
    path: queryStart < 0 ? url : url.slice(0, queryStart),
    query: [...new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1))],
    headers: req.headers,
    body: Buffer.concat(chunks)
  }
}
