// The typed library producers use to publish events to the raw topic: validate against the event
// model, encode as Avro through the registry, key by tenant and primary identifier, and resolve only
// when Kafka acknowledged every event (idempotent producer, acks=all).
import type { RecordEncoder } from '../codec/avro-codec';
import type { MessageSender, OutgoingMessage } from '../kafka/producer';
import { rawEvents } from '../streams/raw-events';
import { cdpEventSchema, type CdpEvent } from './event-model';
import { formatIssues, issuesFromZod, type EventIssue } from './event-issues';
import { toRawEventRecord } from './event-record';

/** An event as a producer writes it: receivedAt defaults to now, timestamp to receivedAt. */
export type PublishableEvent = Omit<CdpEvent, 'receivedAt' | 'timestamp'> &
  Partial<Pick<CdpEvent, 'receivedAt' | 'timestamp'>>;

export interface InvalidEvent {
  index: number;
  messageId?: string;
  issues: EventIssue[];
}

/** Nothing of the call was written: fix the listed events and publish again. */
export class EventValidationError extends Error {
  override name = 'EventValidationError';
  constructor(readonly invalid: InvalidEvent[]) {
    super(
      `invalid events, none published: ${invalid
        .map((i) => `#${i.index} ${i.messageId ?? '(no messageId)'}: ${formatIssues(i.issues)}`)
        .join(' | ')}`,
    );
  }
}

export interface EventProducerOptions {
  /** The Avro codec and Kafka producer of services/common, or anything of their shape. */
  codec: RecordEncoder;
  producer: MessageSender;
  /** Defaults to cdp.events.raw.v1; tests give a topic of their own, written with the same schema. */
  topic?: string;
  now?: () => Date;
}

export interface EventProducer {
  readonly topic: string;
  /** Validates every event first (all or nothing), then writes them; resolves after Kafka's ack. */
  publish(events: readonly PublishableEvent[]): Promise<CdpEvent[]>;
}

export function validateEvents(events: readonly PublishableEvent[], now: Date): CdpEvent[] {
  const valid: CdpEvent[] = [];
  const invalid: InvalidEvent[] = [];
  events.forEach((input, index) => {
    const receivedAt = input.receivedAt ?? now.toISOString();
    const parsed = cdpEventSchema.safeParse({
      ...input,
      receivedAt,
      timestamp: input.timestamp ?? receivedAt,
    });
    if (parsed.success) valid.push(parsed.data);
    else invalid.push({ index, messageId: input.messageId, issues: issuesFromZod(parsed.error) });
  });
  if (invalid.length > 0) throw new EventValidationError(invalid);
  return valid;
}

export async function toRawEventMessages(
  events: readonly CdpEvent[],
  codec: RecordEncoder,
  topic: string,
): Promise<OutgoingMessage[]> {
  // One await per batch rather than a few promises per event (the same bytes). Any topic this
  // library writes carries the raw-event schema, whatever its name.
  const encode = await codec.recordEncoder(rawEvents, topic);
  return events.map((event) => {
    const record = toRawEventRecord(event);
    return { topic, key: rawEvents.key(record), value: encode(record) };
  });
}

export function createEventProducer(options: EventProducerOptions): EventProducer {
  const topic = options.topic ?? rawEvents.topic;
  const now = options.now ?? (() => new Date());
  return {
    topic,
    async publish(events) {
      const valid = validateEvents(events, now());
      if (valid.length === 0) return valid;
      await options.producer.send(await toRawEventMessages(valid, options.codec, topic));
      return valid;
    },
  };
}
