// The S3-triggered Lambda handler: clients built once per container, each event handed to the core's handleEvent.
import type { Context } from 'aws-lambda'
import { createProcessDeps } from '../aws/process-deps.ts'
import { loadConfig, type Config } from '../shared/config.ts'
import { handleEvent } from '../shared/handle-event.ts'
import type { Logger } from '../shared/logger.ts'
import type { ProcessDeps } from '../shared/process-object.ts'
import { createLogger } from './logger.ts'
import { ProfileThread } from './profile-thread.ts'
import { profilerFor, profileWorkers } from './profilers.ts'

/** Whatever arrives is checked before it is used: S3's notifications, its s3:TestEvent, or anything else. */
export type Handler = (event: unknown, context?: Pick<Context, 'awsRequestId'>) => Promise<void>

/**
 * A handler that processes every record of the configured bucket (ObjectCreated: extract the metadata;
 * ObjectRemoved: forget the file); if any could not be recorded, it throws after the others so Lambda retries.
 */
export function createHandler (config: Config, log: Logger = createLogger(config.logLevel), deps: ProcessDeps = processDeps(config, log)): Handler {
  return async (event, context) => handleEvent({ ...deps, logger: deps.logger.child({ requestId: context?.awsRequestId }) }, event, config.bucketName)
}

/** The SDK's ports, and threads that scan and profile files besides the handler's (profilers.ts). */
function processDeps (config: Config, log: Logger): ProcessDeps {
  const profiler = profilerFor(profileWorkers(config.profileWorkers))
  // Started now, as the hashing thread is (aws/process-deps.ts): the first large file does not wait for it.
  if (profiler instanceof ProfileThread) profiler.warm().catch(err => log.warn({ err }, 'the profile thread did not start; it is started again for the next file'))
  return { ...createProcessDeps(config, log), ...(profiler === undefined ? {} : { profiler }) }
}

/** The function Lambda calls: its configuration from the environment, its clients built once per container. */
export const handler = createHandler(loadConfig())
