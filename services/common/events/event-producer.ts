// The typed library producers use to publish events to the raw topic: validate against the event
// model, encode as Avro through the registry, key by tenant and primary identifier, and resolve only
// when Kafka acknowledged every event (idempotent producer, acks=all).
import { readTopicSchema } from '../codec/avro-codec';
import type { OutgoingMessage } from '../kafka/producer';
import { TOPICS } from '../kafka/topics';
import { cdpEventSchema, type CdpEvent } from './event-model';
import { formatIssues, issuesFromZod, type EventIssue } from './event-issues';
import { eventKey } from './event-key';
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

/** The parts of the Avro codec and Kafka producer this library needs (services/common provides both). */
export interface EventEncoder {
  register(topic: string, schema?: Record<string, unknown>): Promise<number>;
  encode(topic: string, value: unknown): Promise<Buffer>;
}
export interface EventSender {
  send(messages: OutgoingMessage[]): Promise<void>;
}

export interface EventProducerOptions {
  codec: EventEncoder;
  producer: EventSender;
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
  codec: EventEncoder,
  topic: string,
): Promise<OutgoingMessage[]> {
  return Promise.all(
    events.map(async (event) => ({
      topic,
      key: eventKey(event),
      value: await codec.encode(topic, toRawEventRecord(event)),
    })),
  );
}

export function createEventProducer(options: EventProducerOptions): EventProducer {
  const topic = options.topic ?? TOPICS.eventsRaw;
  const now = options.now ?? (() => new Date());
  let registered: Promise<number> | undefined;
  // Any topic this library writes carries the raw-event schema, whatever its name.
  const register = () => {
    registered ??= options.codec.register(topic, readTopicSchema(TOPICS.eventsRaw));
    registered.catch(() => (registered = undefined));
    return registered;
  };
  return {
    topic,
    async publish(events) {
      const valid = validateEvents(events, now());
      if (valid.length === 0) return valid;
      await register();
      await options.producer.send(await toRawEventMessages(valid, options.codec, topic));
      return valid;
    },
  };
}
