// The one log shape of the product (API and handler alike): JSON lines with the level as a word, an ISO time and `msg`.

/** The logging port of the core: pino's calling convention, fields first, then the message. */
export interface Logger {
  info: (fields: object, msg: string) => void
  warn: (fields: object, msg: string) => void
  error: (fields: object, msg: string) => void
  child: (bindings: Record<string, unknown>) => Logger
}

/**
 * pino options that give every line the same shape: `{"level":"info","time":"2026-…Z","msg":"…",…}`. Plain values
 * and functions, so the core needs no logging library; the API hands them to Fastify, the handler to pino.
 */
export const LOG_FORMAT = {
  messageKey: 'msg',
  base: undefined,
  formatters: { level: (label: string) => ({ level: label }) },
  timestamp: () => `,"time":"${new Date().toISOString()}"`
}

/** A logger that writes nothing, for callers that report on their own (reconcile prints a table). */
export const SILENT_LOGGER: Logger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => SILENT_LOGGER
}
