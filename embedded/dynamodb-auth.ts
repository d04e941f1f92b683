// DynamoDB's signature check in front of dynalite: the body is read (up to DynamoDB's 16 MB), the SigV4 signature
// verified over it, and only then is the request replayed to dynalite; failures get DynamoDB's JSON errors.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { readSignedRequest } from './json-request.ts'
import { AuthError, SigV4Verifier, type Credentials } from './s3/sigv4.ts'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

const MAX_REQUEST_BYTES = 16 * 1024 * 1024

class DynamoError extends Error {
  constructor (readonly type: string, message: string, readonly status = 400) { super(message) }
}

/** DynamoDB's error for each signature failure. */
function dynamoError (err: AuthError): DynamoError {
  switch (err.code) {
    case 'InvalidAccessKeyId': return new DynamoError('UnrecognizedClientException', 'The security token included in the request is invalid.')
    case 'RequestTimeTooSkewed': return new DynamoError('InvalidSignatureException', `Signature expired: the request time is more than 15 minutes away from ${new Date().toISOString()}.`)
    default: return new DynamoError('InvalidSignatureException', err.message)
  }
}

/** Wraps dynalite's request handler with SigV4 verification for the one credential pair. */
export function withDynamoDbAuth (dynalite: Handler, credentials: Credentials, log: (message: string, err: unknown) => void): Handler {
  const verifier = new SigV4Verifier(credentials, 'dynamodb')
  async function serve (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const request = await readSignedRequest(req, MAX_REQUEST_BYTES, () => new DynamoError('ValidationException', `Request size exceeds ${MAX_REQUEST_BYTES} bytes`, 413))
      const body = request.body
      if (!SigV4Verifier.isSigned(request)) throw new DynamoError('MissingAuthenticationTokenException', 'Request is missing Authentication Token')
      await verifier.verify(request).catch((err: unknown) => { throw err instanceof AuthError ? dynamoError(err) : err })
      // dynalite reads the request as a stream: replay the body that was verified.
      dynalite(Object.assign(Readable.from(body.length === 0 ? [] : [body]), { headers: req.headers, method: req.method, url: req.url }) as unknown as IncomingMessage, res)
    } catch (err) {
      if (req.destroyed && !req.complete) return
      const error = err instanceof DynamoError ? err : new DynamoError('InternalServerError', 'Internal server error', 500)
      if (!(err instanceof DynamoError)) log('DynamoDB request failed', err)
      const text = JSON.stringify({ __type: `com.amazon.coral.service#${error.type}`, message: error.message })
      if (!req.complete) res.setHeader('connection', 'close')
      res.writeHead(error.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': error.type, 'content-length': Buffer.byteLength(text) }).end(text)
    }
  }
  return (req, res) => { serve(req, res).catch(err => log('answering a DynamoDB request failed', err)) }
}
