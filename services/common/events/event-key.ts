// Kafka key of a raw event: '<tenant>:<type>:<value>' of its primary identifier, so one person's
// events under one id stay in order on one partition.
import type { CdpEvent } from './event-model';

/** user_id wins over anonymous_id (alias carries userId); identifiers read as `type:value`. */
export function primaryIdentifier(event: Pick<CdpEvent, 'messageId' | 'userId' | 'anonymousId'>): string {
  if (event.userId !== undefined) return `user_id:${event.userId}`;
  if (event.anonymousId !== undefined) return `anonymous_id:${event.anonymousId}`;
  throw new Error(`event ${event.messageId} has neither userId nor anonymousId to key by`);
}

export function eventKey(event: Pick<CdpEvent, 'messageId' | 'tenant' | 'userId' | 'anonymousId'>): string {
  return `${event.tenant}:${primaryIdentifier(event)}`;
}
