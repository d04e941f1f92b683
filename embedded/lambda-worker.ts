// One Lambda execution environment: a child process that loads the handler once and runs invocations sent over IPC.
import type { Invocation, InvocationResult } from './lambda-runtime.ts'

// Started in its own process group (a terminal's Ctrl-C is for the runtime, which drains), it must not outlive the
// runtime: when the parent exits or is killed, the channel closes and so does this process, mid-invocation or not.
process.on('disconnect', () => process.exit(0))
// The runtime stops an idle worker with SIGTERM: exiting normally lets `node --cpu-prof` write the worker's profile.
process.on('SIGTERM', () => process.exit(0))

type Handler = (event: unknown, context: { awsRequestId: string, functionName: string }) => Promise<unknown>
const { handler } = await import(process.env.LAMBDA_HANDLER_MODULE!) as { handler: Handler }
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'embedded'

process.on('message', (invocation: Invocation) => {
  handler(invocation.event, { awsRequestId: invocation.requestId, functionName }).then(
    () => reply({ id: invocation.id, ok: true }),
    (err: unknown) => reply({ id: invocation.id, ok: false, error: err instanceof Error ? err.message : String(err) })
  )
})
reply({ id: 0, ok: true })

function reply (result: InvocationResult): void {
  process.send!(result)
}
