// LocalStack provisioning of webhook delivery, as the CDK stack has it: the sender function, its role and failure
// queue, Lambda's retries, and a rule on the bus that hands every verdict to the sender once per URL. Idempotent.
import { ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda'
import { allowInvoke, ensureFunction, ensureQueue, ensureRole, required, type PipelineClients } from './localstack.ts'
import { policyDocument, VERDICT_EVENT_PATTERN, WEBHOOK_SENDER, webhookSenderStatements } from './pipeline.ts'

export interface WebhookSpec {
  /** The bundled sender (`npm run build` writes dist/lambda/webhook-sender.zip). */
  zip: Uint8Array
  urls: string[]
  secret: string
}

/** The rule's name; one per account and region, like the functions'. */
export const WEBHOOK_RULE = 'csv-metadata-verdicts-to-webhooks'
/** EventBridge's limit of targets on one rule; the CDK stack makes more rules, this provisioning refuses more URLs. */
const MAX_TARGETS = 5

export async function provisionWebhooks (
  clients: Pick<PipelineClients, 'iam' | 'lambda' | 'sqs'> & { events: EventBridgeClient },
  spec: WebhookSpec,
  where: { region: string, account: string, eventBusName: string, log: (message: string) => void }
): Promise<{ functionArn: string, ruleArn: string, queueUrl: string }> {
  const name = WEBHOOK_SENDER.functionName
  if (spec.urls.length > MAX_TARGETS) throw new Error(`WEBHOOK_URLS holds ${spec.urls.length} URLs; LocalStack provisioning makes one rule of at most ${MAX_TARGETS} targets (one per URL)`)
  const { queueUrl, queueArn } = await ensureQueue(clients.sqs, `${name}-failures`, WEBHOOK_SENDER.failureRetentionSeconds)
  const roleArn = await ensureRole(clients.iam, `${name}-role`, policyDocument(webhookSenderStatements({
    queueArn, logGroupArn: `arn:aws:logs:${where.region}:${where.account}:log-group:/aws/lambda/${name}`
  })))
  const functionArn = await ensureFunction(clients.lambda, {
    ...WEBHOOK_SENDER,
    name,
    roleArn,
    zip: spec.zip,
    environment: { WEBHOOK_URLS: spec.urls.join(','), WEBHOOK_SECRET: spec.secret, LOG_LEVEL: 'info', NODE_OPTIONS: '--enable-source-maps' }
  })
  await clients.lambda.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: name,
    MaximumRetryAttempts: WEBHOOK_SENDER.retryAttempts,
    MaximumEventAgeInSeconds: WEBHOOK_SENDER.maxEventAgeSeconds,
    DestinationConfig: { OnFailure: { Destination: queueArn } }
  }))
  where.log(`function ${functionArn} (webhooks to ${spec.urls.length} URL(s); ${WEBHOOK_SENDER.retryAttempts} retries, then ${queueArn})`)

  const { RuleArn } = await clients.events.send(new PutRuleCommand({
    Name: WEBHOOK_RULE,
    EventBusName: where.eventBusName,
    Description: 'Every verdict of the CSV metadata service to the webhook sender',
    EventPattern: JSON.stringify({ source: VERDICT_EVENT_PATTERN.source, 'detail-type': VERDICT_EVENT_PATTERN.detailType })
  }))
  const ruleArn = required(RuleArn, 'rule ARN')
  // One target per URL, the event addressed to it ({url, event}), so a URL that failed is retried alone.
  const targets = spec.urls.map((url, index) => ({
    Id: `webhook-${index + 1}`,
    Arn: functionArn,
    InputTransformer: { InputPathsMap: { event: '$' }, InputTemplate: `{"url":${JSON.stringify(url)},"event":<event>}` },
    RetryPolicy: { MaximumRetryAttempts: WEBHOOK_SENDER.ruleRetryAttempts, MaximumEventAgeInSeconds: WEBHOOK_SENDER.ruleMaxEventAgeSeconds },
    DeadLetterConfig: { Arn: queueArn }
  }))
  const { Targets: existing = [] } = await clients.events.send(new ListTargetsByRuleCommand({ Rule: WEBHOOK_RULE, EventBusName: where.eventBusName }))
  const stale = existing.flatMap(target => target.Id !== undefined && !targets.some(t => t.Id === target.Id) ? [target.Id] : [])
  if (stale.length > 0) await clients.events.send(new RemoveTargetsCommand({ Rule: WEBHOOK_RULE, EventBusName: where.eventBusName, Ids: stale }))
  const { FailedEntryCount, FailedEntries } = await clients.events.send(new PutTargetsCommand({ Rule: WEBHOOK_RULE, EventBusName: where.eventBusName, Targets: targets }))
  if (FailedEntryCount !== undefined && FailedEntryCount > 0) {
    throw new Error(`the rule's target was refused: ${FailedEntries?.[0]?.ErrorCode ?? 'unknown'} ${FailedEntries?.[0]?.ErrorMessage ?? ''}`)
  }
  await allowInvoke(clients.lambda, name, { statementId: 'events-invoke', principal: 'events.amazonaws.com', sourceArn: ruleArn, account: where.account })
  where.log(`rule ${ruleArn}: verdicts -> ${name}, once per URL`)
  return { functionArn, ruleArn, queueUrl }
}
