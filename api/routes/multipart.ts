// Multipart uploads, in the shape of Uppy Companion's S3 routes (so @uppy/aws-s3 works unchanged with
// `companionEndpoint: <this API's origin>`): create, presign each part, list the parts (to resume), complete, abort.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { uploadingRecord } from '../../shared/file-record.ts'
import { filenameProblem, MAX_FILENAME_LENGTH } from '../../shared/filename.ts'
import { requireApiKey, OPTIONAL_BEARER } from '../auth.ts'
import { listUpload } from '../file-lookup.ts'
import { HttpProblem } from '../problem.ts'
import { COMMON_PROBLEMS, problem } from '../schemas.ts'
import type { RouteOptions } from '../services.ts'

/** S3's limits: parts are numbered 1-10,000; every part but the last is 5 MiB to 5 GiB. */
const MAX_PARTS = 10_000
/** The largest body of a complete request: every part's number and ETag, with room for spaces. */
const COMPLETE_BODY_LIMIT = 1024 * 1024
/** How long completing may take: S3 copies the parts into one object (a minute or more for tens of GB). */
const COMPLETE_TIMEOUT_MS = 15 * 60_000
/** A multipart upload left unfinished is removed after a day (S3 lifecycle rule on AWS; the embedded S3 does the same). */
const MULTIPART_LIFETIME_MS = 24 * 3600 * 1000

const Filename = Type.String({ minLength: 1, maxLength: MAX_FILENAME_LENGTH, description: 'The filename, which is the object key: the same rules as POST /uploads.', examples: ['big.csv'] })
const UploadId = Type.String({ minLength: 1, maxLength: 1024, description: 'The uploadId that POST /s3/multipart returned.' })
const KeyQuery = Type.Object({ key: Filename }, { additionalProperties: false })

const CreateRequest = Type.Object({
  filename: Filename,
  type: Type.Optional(Type.String({ maxLength: 255, description: 'The file\'s media type, stored as its Content-Type.', examples: ['text/csv'] })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Sent by Uppy; not stored.' }))
}, { examples: [{ filename: 'big.csv', type: 'text/csv' }] })

const Created = Type.Object({
  key: Type.String({ description: 'The object key (the filename); pass it as ?key= to the other routes.', examples: ['big.csv'] }),
  uploadId: Type.String({ description: 'Identifies this multipart upload.' })
})

const PartParams = Type.Object({ uploadId: UploadId, partNumber: Type.Integer({ minimum: 1, maximum: MAX_PARTS, description: 'The part\'s number, 1-10,000.' }) })
const SignedPart = Type.Object({
  url: Type.String({ format: 'uri', description: 'A presigned S3 PUT for this part: send its bytes as the body (`curl -X PUT --data-binary @part "<url>"`) and keep the ETag header of the answer.' }),
  expires: Type.Integer({ description: 'Seconds the URL stays valid.' })
})

const Part = Type.Object({
  PartNumber: Type.Integer({ description: 'The part\'s number.' }),
  Size: Type.Integer({ description: 'Its size in bytes.' }),
  ETag: Type.String({ description: 'Its ETag, as S3 answered the PUT (quoted).' })
})

const CompleteRequest = Type.Object({
  parts: Type.Array(Type.Object({
    PartNumber: Type.Integer({ minimum: 1, maximum: MAX_PARTS }),
    ETag: Type.String({ minLength: 1, maxLength: 1024 })
  }), { minItems: 1, maxItems: MAX_PARTS, description: 'Every part, in ascending order, with the ETag its PUT answered.' })
}, { examples: [{ parts: [{ PartNumber: 1, ETag: '"a54357aff0632cce46d942af68356b38"' }, { PartNumber: 2, ETag: '"0c78aef83f66abc1fa1e8477f296d394"' }] }] })

const Completed = Type.Object({
  location: Type.String({ description: 'The object\'s URL (not public: read it back through the API).' }),
  bucket: Type.String({ examples: ['test-bucket'] }),
  key: Type.String({ examples: ['big.csv'] })
})

const NO_UPLOAD = problem('No such multipart upload for that key: completed, aborted, or removed a day after it began (upload-not-found).', {
  status: 404, code: 'upload-not-found', detail: 'No multipart upload "2~abc" of "big.csv": it was completed or aborted, or removed a day after it began unfinished. Start again with POST /s3/multipart.', instance: '/s3/multipart/2~abc'
})
const BAD_KEY = problem('The filename or a parameter is invalid (invalid-filename, invalid-request).', {
  status: 400, code: 'invalid-filename', detail: 'filename must not start with "."', instance: '/s3/multipart'
})

/** S3's answers that are the caller's mistake, as problems; anything else is rethrown. */
function s3Problem (err: unknown, key: string, uploadId: string): unknown {
  const { name, message } = err as { name?: string, message?: string }
  if (name === 'NoSuchUpload') {
    return new HttpProblem(404, 'upload-not-found', `No multipart upload "${uploadId}" of "${key}": it was completed or aborted, or removed a day after it began unfinished. Start again with POST /s3/multipart.`)
  }
  if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall' || name === 'MalformedXML') {
    return new HttpProblem(400, 'invalid-parts', `S3 refused the parts (${name}): ${message ?? ''} List the parts it has with GET /s3/multipart/{uploadId}?key=, and complete with those.`)
  }
  return err
}

function checkKey (key: string): void {
  const reason = filenameProblem(key)
  if (reason !== undefined) throw new HttpProblem(400, 'invalid-filename', reason)
}

const multipart: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { config, services }) => {
  if (config.apiKey !== undefined) app.addHook('onRequest', requireApiKey(config.apiKey))
  const common = { tags: ['multipart'], security: OPTIONAL_BEARER }

  app.post('/s3/multipart', {
    schema: {
      ...common,
      summary: 'Start a multipart upload',
      description: 'For files of any size, up to S3\'s 5 TiB (a single PUT stops at 5 GiB), and uploads that can resume. Then presign and PUT each part ' +
        '(5 MiB to 5 GiB each, the last one smaller; at most 10,000), and complete. The file is listed as `uploading` from now; ' +
        'an upload not completed within a day is removed. @uppy/aws-s3 uses these routes with `companionEndpoint` set to this API.',
      body: CreateRequest,
      response: { 200: Created, 400: BAD_KEY, 401: COMMON_PROBLEMS[401], 503: COMMON_PROBLEMS[503], 500: COMMON_PROBLEMS[500] }
    }
  }, async request => {
    const { filename, type } = request.body
    checkKey(filename)
    const issuedAt = new Date()
    const uploadId = await services.multipart.create(filename, type)
    await listUpload(services, uploadingRecord(filename, issuedAt, new Date(issuedAt.getTime() + MULTIPART_LIFETIME_MS)), request.log)
    return { key: filename, uploadId }
  })

  app.get('/s3/multipart/:uploadId/:partNumber', {
    schema: {
      ...common,
      summary: 'Presign the PUT of one part',
      description: 'Answers a URL to PUT the part\'s bytes to. Keep the ETag header S3 answers: completing needs it.',
      params: PartParams,
      querystring: KeyQuery,
      response: { 200: SignedPart, 400: BAD_KEY, 401: COMMON_PROBLEMS[401], 500: COMMON_PROBLEMS[500] }
    }
  }, async request => {
    checkKey(request.query.key)
    const { url } = await services.multipart.presignPart(request.query.key, request.params.uploadId, request.params.partNumber)
    return { url, expires: config.uploadUrlExpiresIn }
  })

  app.get('/s3/multipart/:uploadId', {
    schema: {
      ...common,
      summary: 'List the parts uploaded so far',
      description: 'Every part S3 has for this upload (all pages), to resume: upload only the missing ones, then complete.',
      params: Type.Object({ uploadId: UploadId }),
      querystring: KeyQuery,
      response: { 200: Type.Array(Part), 400: BAD_KEY, 401: COMMON_PROBLEMS[401], 404: NO_UPLOAD, 503: COMMON_PROBLEMS[503], 500: COMMON_PROBLEMS[500] }
    }
  }, async request => {
    const { key } = request.query
    checkKey(key)
    return services.multipart.listParts(key, request.params.uploadId).catch((err: unknown) => { throw s3Problem(err, key, request.params.uploadId) })
  })

  app.post('/s3/multipart/:uploadId/complete', {
    // 10,000 parts of `{"PartNumber":10000,"ETag":"\"<32 hex digits>\""}` are about 600 KB: far over the 16 KiB
    // every other body is held to.
    bodyLimit: COMPLETE_BODY_LIMIT,
    schema: {
      ...common,
      summary: 'Complete a multipart upload',
      description: 'S3 joins the parts into the object; then the file is processed like any upload (ObjectCreated:CompleteMultipartUpload).',
      params: Type.Object({ uploadId: UploadId }),
      querystring: KeyQuery,
      body: CompleteRequest,
      response: {
        200: Completed,
        400: problem('A part is missing, out of order, has another ETag, or is under 5 MiB and not the last (invalid-parts); or an invalid key (invalid-filename).', {
          status: 400, code: 'invalid-parts', detail: 'S3 refused the parts (EntityTooSmall): Your proposed upload is smaller than the minimum allowed object size. List the parts it has with GET /s3/multipart/{uploadId}?key=, and complete with those.', instance: '/s3/multipart/2~abc/complete'
        }),
        401: COMMON_PROBLEMS[401],
        404: NO_UPLOAD,
        503: COMMON_PROBLEMS[503],
        500: COMMON_PROBLEMS[500]
      }
    }
  }, async request => {
    const { key } = request.query
    checkKey(key)
    // S3 joins gigabytes before it answers: nothing moves on this connection meanwhile, for longer than the 75 s
    // after which a quiet connection is otherwise closed. (Behind a function URL there is no socket: the request is
    // injected, and the function's timeout is what bounds it.)
    const socket = request.socket as Partial<Pick<typeof request.socket, 'setTimeout'>>
    socket.setTimeout?.(COMPLETE_TIMEOUT_MS)
    const location = await services.multipart.complete(key, request.params.uploadId, request.body.parts)
      .catch((err: unknown) => { throw s3Problem(err, key, request.params.uploadId) })
    return { location, bucket: config.bucketName, key }
  })

  app.delete('/s3/multipart/:uploadId', {
    schema: {
      ...common,
      summary: 'Abort a multipart upload',
      description: 'S3 drops the parts. A file listed as `uploading` because of this upload (and nothing else) is removed.',
      params: Type.Object({ uploadId: UploadId }),
      querystring: KeyQuery,
      response: { 200: Type.Object({}), 400: BAD_KEY, 401: COMMON_PROBLEMS[401], 404: NO_UPLOAD, 503: COMMON_PROBLEMS[503], 500: COMMON_PROBLEMS[500] }
    }
  }, async request => {
    const { key } = request.query
    checkKey(key)
    await services.multipart.abort(key, request.params.uploadId).catch((err: unknown) => { throw s3Problem(err, key, request.params.uploadId) })
    await services.dropUpload(key)
    return {}
  })
}

export default multipart
