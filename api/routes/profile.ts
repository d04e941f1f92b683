// GET /files/:name/profile: the whole column profile of a processed file, kept in the bucket beside its record.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { FileProfile } from '../../shared/column-profile.ts'
import { Status } from '../../shared/file-record.ts'
import { requireApiKey, OPTIONAL_BEARER } from '../auth.ts'
import { existingFile } from '../file-lookup.ts'
import { HttpProblem } from '../problem.ts'
import { COMMON_PROBLEMS, FileParams, FILE_NOT_FOUND, NoQuery, problem } from '../schemas.ts'
import type { RouteOptions } from '../services.ts'

const FileProfileRef = Type.Ref('FileProfile')

const profile: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { config, services }) => {
  if (config.apiKey !== undefined) app.addHook('onRequest', requireApiKey(config.apiKey))
  app.get('/files/:name/profile', {
    schema: {
      tags: ['files'],
      security: OPTIONAL_BEARER,
      summary: 'Get the column profile of one file',
      description: 'Every column over every row: type and formats, empty and null counts, min and max, mean, lengths, distinct count and samples. ' +
        'GET /files/{name} carries its summary (`sha256`, `columns`). Always the profile of the version the record describes, never an older one\'s.',
      params: FileParams,
      querystring: NoQuery,
      response: {
        200: FileProfileRef,
        400: problem('An unknown parameter (invalid-request).', { status: 400, code: 'invalid-request', detail: 'querystring has unknown parameter "full"; it takes no parameters', instance: '/files/example.csv/profile' }),
        404: FILE_NOT_FOUND,
        409: problem('The file has no profile now: `profile-not-ready` while it is uploading or processing (ask again once GET /files/{name} says processed); ' +
          '`no-profile` when it failed (its `error` says why) or was processed before profiles were kept (upload it again).', {
          status: 409, code: 'profile-not-ready', detail: '"example.csv" is processing; its profile is ready when GET /files/{name} says processed. Ask again then.', instance: '/files/example.csv/profile'
        }),
        ...COMMON_PROBLEMS
      }
    }
  }, async request => {
    const { name } = request.params
    // A version's profile is deleted once a newer one is recorded: replaced between the two reads, the file is read again.
    const found = await profileOf(services, name) ?? await profileOf(services, name)
    if (found !== undefined) return found
    throw new HttpProblem(409, 'no-profile', `"${name}" has no profile: it was processed before profiles were kept, or its profile was removed from the bucket. Upload it again to profile it.`)
  })
}

/** The profile of the version the file's record names, undefined when the bucket has none; throws when it cannot have one. */
async function profileOf (services: RouteOptions['services'], name: string): Promise<FileProfile | undefined> {
  const file = await existingFile(services, name)
  if (file.status === Status.failed) {
    throw new HttpProblem(409, 'no-profile', `"${name}" could not be read (${file.error?.code ?? 'failed'}), so it has no profile. GET /files/{name} says why; fix the file and upload it again.`)
  }
  if (file.status !== Status.processed) {
    throw new HttpProblem(409, 'profile-not-ready', `"${name}" is ${file.status}; its profile is ready when GET /files/{name} says processed. Ask again then.`)
  }
  return await services.getProfile(file)
}

export default profile
