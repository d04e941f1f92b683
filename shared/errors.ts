// Errors the adapters raise for conditions the callers act on; the API maps each to one HTTP answer, in one place.

/** A page cursor that this service did not issue. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError'
  readonly code = 'invalid-cursor'
}

/** S3 or DynamoDB cannot be reached or is failing: retrying later may work. A bug is never one of these. */
export class DependencyUnavailableError extends Error {
  override name = 'DependencyUnavailableError'
  readonly code = 'service-unavailable'
  /** What could not be reached, e.g. "dynamodb:MetadataTable". */
  readonly dependency: string

  constructor (dependency: string, reason: string, options?: ErrorOptions) {
    super(`${dependency} cannot be reached right now (${reason})`, options)
    this.dependency = dependency
  }
}
