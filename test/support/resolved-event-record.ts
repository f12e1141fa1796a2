// A resolved "Order Completed" event in the Avro record form of cdp.events.resolved.v1, for sink tests.
import type { ResolvedEventRecord } from '../../services/common/streams/resolved-events';

export interface ResolvedOrder {
  tenant: string;
  messageId: string;
  profileId: string;
  /** Epoch milliseconds used for timestamp, receivedAt and resolvedAt. */
  at: number;
  total: number;
}

export function resolvedOrderRecord({
  tenant,
  messageId,
  profileId,
  at,
  total,
}: ResolvedOrder): ResolvedEventRecord {
  return {
    messageId,
    type: 'track',
    tenant,
    userId: `u-${profileId}`,
    anonymousId: null,
    previousId: null,
    event: 'Order Completed',
    name: null,
    groupId: null,
    traits: null,
    properties: JSON.stringify({ total, currency: 'EUR' }),
    context: '{}',
    integrations: null,
    timestamp: at,
    sentAt: null,
    originalTimestamp: null,
    receivedAt: at,
    profileId,
    resolvedAt: at,
  };
}
