// Delivery of a JourneyStack's actions as in production: a webhook destination applied through
// `cdp destinations apply`'s function, the activation service (in this process) reading the stack's
// actions topic, and a webhook receiver process (bench/stages) that accepts each webhook-id once.
import { Webhook } from 'standardwebhooks';
import { activation } from '../../services/activation/main';
import { createLogger } from '../../services/common/logger';
import { createRedis } from '../../services/common/redis/redis-client';
import type { RunningProcessor } from '../../services/common/runtime/stream-processor';
import { tenantDirectory } from '../../services/common/tenants';
import {
  startWebhookReceiver,
  type ReceivedRequest,
  type WebhookReceiver,
} from '../../bench/stages/webhook-receiver';
import type { JourneyStack } from './journey-stack';
import { privateTopics } from './processor-harness';
import { config, deleteTopics, uniqueName } from './real-stack';

export const JOURNEY_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The track call activation delivers for a journey send (docs/destinations.md, Payloads). */
export interface JourneyMessageCall {
  messageId: string;
  type: string;
  event: string;
  userId: string | null;
  context: { cdp: { profile_id: string; identifiers: string[]; destination_id: string } };
  properties: {
    message_key: string;
    journey_id: string;
    journey_version: number;
    step_id: string;
    instance_id: string;
    data: {
      message: string;
      journeyId: string;
      stepId: string;
      instanceId: string;
      profileId: string;
      userId: string | null;
      identifiers: string[];
      traits: Record<string, unknown>;
    };
  };
}

export interface JourneyDelivery {
  receiver: WebhookReceiver;
  /** Requests accepted the first time for their webhook-id, with their calls. */
  accepted(): Promise<{ request: ReceivedRequest; call: JourneyMessageCall }[]>;
  /** Message keys per userId, in the order the receiver accepted them. */
  messagesByUser(): Promise<Record<string, string[]>>;
  /** Throws unless every request the receiver answered carries a valid Standard Webhooks signature. */
  verifyAll(): Promise<number>;
  stop(): Promise<void>;
}

export async function startJourneyDelivery(
  stack: JourneyStack,
  destinationId = 'mailer',
): Promise<JourneyDelivery> {
  const receiver = await startWebhookReceiver({ after: 'ok' });
  const applied = await stack.apply(
    [
      {
        kind: 'destination',
        id: destinationId,
        type: 'webhook',
        url: receiver.url,
        secret: JOURNEY_WEBHOOK_SECRET,
        // Generous: a retry after a slow answer would show as a repeat at the receiver.
        timeout_ms: 10_000,
        description: 'journey sends (no subscription needed)',
      },
    ],
    { command: 'destinations', kinds: ['destination'] },
  );
  if (applied.code !== 0) {
    await receiver.stop();
    throw new Error(`the webhook destination was refused: ${applied.err.join('\n')}`);
  }
  // Activation reads the stack's actions topic; its other inputs and outputs are its own.
  const topics = await privateTopics(stack.kafka, activation, 1);
  const own = [...Object.values<string>(topics.inputs), ...Object.values<string>(topics.outputs), topics.dlq];
  topics.inputs.journeys = stack.topics.actions;
  const keyPrefix = `test-${stack.tenant}-activation:`;
  let running: RunningProcessor;
  try {
    running = await activation.startWith(
      { ...config, CDP_RETRY_INITIAL_MS: 20, CDP_RETRY_MAX_MS: 500 },
      createLogger('activation-test', process.env.CDP_LOG_LEVEL ?? 'silent'),
      {
        topics,
        groupId: uniqueName('test.journeys.activation.group'),
        options: {
          tenants: tenantDirectory({ tenants: [{ id: stack.tenant, writeKeys: [stack.writeKey] }] }),
          definitionsTopic: stack.topics.definitions,
          keyPrefix,
          pollMs: 20,
          backoff: { initialMs: 50, maxMs: 400 },
        },
      },
    );
  } catch (err) {
    await receiver.stop();
    await deleteTopics(stack.kafka, own);
    throw err;
  }

  const accepted = async () =>
    (await receiver.accepted()).map((request) => ({
      request,
      call: JSON.parse(request.body) as JourneyMessageCall,
    }));
  return {
    receiver,
    accepted,
    async messagesByUser() {
      const byUser: Record<string, string[]> = {};
      for (const { call } of await accepted())
        (byUser[call.userId ?? ''] ??= []).push(call.properties.message_key);
      return byUser;
    },
    async verifyAll() {
      const webhook = new Webhook(JOURNEY_WEBHOOK_SECRET);
      const log = await receiver.log();
      for (const r of log)
        webhook.verify(r.body, {
          'webhook-id': r.id,
          'webhook-timestamp': r.timestamp,
          'webhook-signature': r.signature,
        });
      return log.length;
    },
    async stop() {
      await running.stop();
      await receiver.stop();
      await deleteTopics(stack.kafka, own);
      const redis = createRedis(config.CDP_REDIS_URL, 'cdp-journey-delivery-test');
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
