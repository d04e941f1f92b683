// Structured JSON log lines, one per event, as CloudWatch Logs and `aws logs tail` show them.

export interface Logger {
  info: (message: string, fields?: Record<string, unknown>) => void
  warn: (message: string, fields?: Record<string, unknown>) => void
  error: (message: string, fields?: Record<string, unknown>) => void
}

export function createLogger (write: (line: string) => void = line => process.stdout.write(line + '\n')): Logger {
  const log = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...fields }))
  return { info: log('info'), warn: log('warn'), error: log('error') }
}
