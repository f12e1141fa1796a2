// cdp.events.raw.v1: events as received, before identity resolution. The record schema lives with
// the event model (services/common/events/event-record.ts); this module only makes it a stream.
import { eventKey } from '../events/event-key';
import { rawEventRecordSchema, type RawEventRecord } from '../events/event-record';
import { TOPICS } from '../kafka/topics';
import { defineStream } from './stream';

export { rawEventRecordSchema, type RawEventRecord };

/** Same rule as the event producer's key: '<tenant>:user_id:<userId>', else anonymous_id. */
export function rawEventKey(record: RawEventRecord): string {
  return eventKey({
    messageId: record.messageId,
    tenant: record.tenant,
    userId: record.userId ?? undefined,
    anonymousId: record.anonymousId ?? undefined,
  });
}

export const rawEvents = defineStream({
  name: 'eventsRaw',
  topic: TOPICS.eventsRaw,
  record: rawEventRecordSchema,
  key: rawEventKey,
});
