// The engine's Kafka input: resolved events, segment membership changes and identity merges, each
// applied to its profile with the record's offset as the input mark (a redelivered record that was
// already applied is skipped). Transitions queue their actions in Redis; the pump sends them.
import type { AvroCodec } from '../common/codec/avro-codec';
import type { MessageHandler } from '../common/kafka/chunk-processor';
import { PoisonMessageError } from '../common/kafka/consumed-message';
import { identityMerges } from '../common/streams/identity-merges';
import { resolvedEvents } from '../common/streams/resolved-events';
import { segmentMembership } from '../common/streams/segment-membership';
import type { JourneyEngine } from './journey-engine';

export type JourneyInputRole = 'events' | 'membership' | 'merges';

export interface JourneyHandlerDeps {
  codec: Pick<AvroCodec, 'decodeRecord'>;
  engine: JourneyEngine;
  roles: Map<string, JourneyInputRole>;
  /** Tenants the engine serves; records of others are skipped. */
  serves(tenant: string): boolean;
  /** Called after a record changed state: the pump sends what it queued. */
  changed(tenant: string): void;
  now?: () => number;
}

function parseProperties(text: string, messageId: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch (err) {
    throw new PoisonMessageError(`event ${messageId}: properties are not JSON`, 'PoisonMessage', {
      cause: err,
    });
  }
}

export function createJourneyHandler(deps: JourneyHandlerDeps): MessageHandler {
  const now = deps.now ?? Date.now;
  return async (message) => {
    const role = deps.roles.get(message.topic);
    if (role === undefined) throw new Error(`journey-engine: no input role for topic ${message.topic}`);
    if (message.value === null) return [];
    const mark = { role: `${role}:${message.topic}`, offset: BigInt(message.offset) };
    let tenant: string;
    let result: string;
    if (role === 'events') {
      const e = await deps.codec.decodeRecord(resolvedEvents, message.value);
      tenant = e.tenant;
      if (!deps.serves(tenant)) return [];
      result = await deps.engine.apply(
        tenant,
        e.profileId,
        {
          kind: 'event',
          id: e.messageId,
          at: now(),
          event: {
            messageId: e.messageId,
            type: e.type,
            event: e.event,
            properties: parseProperties(e.properties ?? '{}', e.messageId),
            timestamp: e.timestamp,
            userId: e.userId,
          },
        },
        { mark },
      );
    } else if (role === 'membership') {
      const m = await deps.codec.decodeRecord(segmentMembership, message.value);
      tenant = m.tenant;
      if (!deps.serves(tenant)) return [];
      result = await deps.engine.apply(
        tenant,
        m.profileId,
        { kind: 'membership', id: m.changeId, at: now(), segmentId: m.segmentId, status: m.status },
        { mark },
      );
    } else {
      const g = await deps.codec.decodeRecord(identityMerges, message.value);
      tenant = g.tenant;
      if (!deps.serves(tenant)) return [];
      result = await deps.engine.merge(tenant, g.survivorId, g.loserId, g.mergedAt, mark);
    }
    if (result === 'applied') deps.changed(tenant);
    return [];
  };
}
