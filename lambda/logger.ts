// The handler's logger: pino with the product's one log shape, written to stdout (CloudWatch Logs on AWS).
import pino, { type DestinationStream } from 'pino'
import { LOG_FORMAT, type Logger } from '../shared/logger.ts'

/** Writes to process.stdout by default, in order with anything else the process prints. */
export function createLogger (level: string, destination: DestinationStream = process.stdout): Logger {
  return pino({ ...LOG_FORMAT, level }, destination)
}
