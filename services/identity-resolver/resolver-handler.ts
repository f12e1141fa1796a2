// The Kafka side of the identity resolver: raw event bytes in, encoded outputs out. Redis and
// registry failures propagate as plain errors so the runner retries; bad input is poison.
import { decodeRawEvent } from '../common/events/decode-event';
import type { CdpEvent } from '../common/events/event-model';
import { toRawEventRecord } from '../common/events/event-record';
import { PoisonMessageError, type ConsumedMessage } from '../common/kafka/consumed-message';
import type { MessageHandler } from '../common/kafka/consumer-runner';
import type { OutgoingMessage } from '../common/kafka/producer';
import type { IdentityEventInput } from './identity-event';
import type { IdentityOutcome, IdentityRejection } from './identity-outcome';
import type { IdentityRules } from './identity-rules';
import { outcomeKey } from './redis-keys';
import { buildResolverOutputs, type OutputKind } from './resolver-outputs';

export type ResolverTopics = Record<OutputKind, string>;

export interface ResolverHandlerDeps {
  codec: {
    decode(buffer: Buffer | null, readerTopic?: string): Promise<unknown>;
    encode(topic: string, value: unknown): Promise<Buffer>;
  };
  graph: {
    resolveEvent(
      event: IdentityEventInput,
      rules: IdentityRules,
      at?: number,
    ): Promise<IdentityOutcome | IdentityRejection>;
  };
  /** Told which stored outcome each applied message left, to release it after the send. */
  pendingOutcomes?: { note(message: ConsumedMessage, outcomeKey: string): void };
  rulesFor(tenant: string): IdentityRules | undefined;
  topics: ResolverTopics;
  now?: () => Date;
}

export function toIdentityInput(event: CdpEvent): IdentityEventInput {
  return {
    messageId: event.messageId,
    tenant: event.tenant,
    type: event.type,
    userId: event.userId,
    anonymousId: event.anonymousId,
    previousId: event.previousId,
    traits: event.traits,
    context: event.context,
    timestamp: event.timestamp,
    receivedAt: event.receivedAt,
  };
}

/**
 * The tenant the Kafka key names (`<tenant>:<type>:<value>`, see event-key.ts). A body naming
 * another tenant is refused: whoever could write the record could otherwise write into any
 * tenant's graph under a key (and partition) of its own.
 */
export function assertKeyTenant(message: ConsumedMessage, tenant: string, messageId: string): void {
  const key = message.key?.toString('utf8') ?? null;
  const keyTenant = key === null || !key.includes(':') ? null : key.slice(0, key.indexOf(':'));
  if (keyTenant !== tenant) {
    throw new PoisonMessageError(
      `event ${messageId}: body tenant '${tenant}' does not match the record key ${key === null ? '(none)' : JSON.stringify(key.slice(0, 200))}`,
      'TenantMismatch',
    );
  }
}

export function createResolverHandler(deps: ResolverHandlerDeps): MessageHandler {
  const now = deps.now ?? (() => new Date());
  return async (message: ConsumedMessage): Promise<OutgoingMessage[]> => {
    const event = await decodeRawEvent(deps.codec, message.value);
    assertKeyTenant(message, event.tenant, event.messageId);
    const rules = deps.rulesFor(event.tenant);
    if (rules === undefined) {
      throw new PoisonMessageError(
        `event ${event.messageId}: tenant '${event.tenant}' is not in the tenants file`,
        'UnknownTenant',
      );
    }
    const outcome = await deps.graph.resolveEvent(toIdentityInput(event), rules, now().getTime());
    if (outcome.status === 'resolved' || outcome.status === 'replayed')
      deps.pendingOutcomes?.note(message, outcomeKey(outcome.tenant, outcome.messageId));
    const outputs = buildResolverOutputs(toRawEventRecord(event), outcome);
    return Promise.all(
      outputs.map(async (output) => {
        const topic = deps.topics[output.kind];
        return {
          topic,
          key: output.key,
          value: output.value === null ? null : await deps.codec.encode(topic, output.value),
        };
      }),
    );
  };
}
