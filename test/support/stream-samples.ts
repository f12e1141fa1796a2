// Random records of a stream for contract tests: Avro's random value of the stream's schema, made
// to follow what the Avro type cannot say.
import avro from 'avsc';
import { JSON_STRING_FIELDS } from '../../services/common/events/event-record';
import type { AvroStream, Stream } from '../../services/common/streams/stream';

/**
 * Event records carry rules no Avro type can say (a JSON object as text, non-empty ids, what each
 * event type requires): Avro's random record is made to follow them before the zod type reads it.
 */
export function withEventRules(stream: Stream, value: Record<string, unknown>): Record<string, unknown> {
  if (stream.name !== 'eventsRaw' && stream.name !== 'eventsResolved') return value;
  const fixed: Record<string, unknown> = {
    ...value,
    messageId: 'm-1',
    tenant: 't',
    type: 'track',
    userId: 'u-1',
    event: 'e',
  };
  for (const field of ['anonymousId', 'previousId', 'name', 'groupId'])
    if (fixed[field] !== null) fixed[field] = 'x';
  for (const field of JSON_STRING_FIELDS) if (fixed[field] !== null) fixed[field] = '{"k":1}';
  return fixed;
}

/** A record of the stream, as its record type reads Avro's random value. */
export function randomRecord(stream: AvroStream): unknown {
  const type = avro.Type.forSchema(stream.schema() as unknown as avro.Schema);
  return stream.record.parse(withEventRules(stream, type.random() as unknown as Record<string, unknown>));
}
