// S3's per-key event order: the `sequencer` of each event, made comparable as a plain string.

/** Width every sequencer is padded to; S3's are hexadecimal and much shorter. */
const WIDTH = 64

/**
 * An ordering key for an event's `s3.object.sequencer`: S3 says to right-pad the shorter of two sequencers
 * with zeros and compare them as strings, so padding every one to the same width makes DynamoDB's string
 * comparison order them. Undefined when the event has none (the write is then unconditional).
 */
export function orderingKey (sequencer: string | undefined): string | undefined {
  if (sequencer === undefined || sequencer === '') return undefined
  return sequencer.toUpperCase().padEnd(WIDTH, '0')
}
