// Sends imported events to the raw topic exactly as the collector writes them (the event
// producer's key and Avro encoding, acks=all on the idempotent producer), one batch after another:
// the idempotent producer keeps order with one request in flight, so the next batches are encoded
// while one is sent, and `add` waits once `maxQueuedBatches` are pending. Memory stays bounded
// whatever the file's size (backpressure to the file reader).
import type { RecordEncoder } from '../common/codec/avro-codec';
import type { CdpEvent } from '../common/events/event-model';
import { toRawEventMessages } from '../common/events/event-producer';
import type { MessageSender, OutgoingMessage } from '../common/kafka/producer';

export interface RawEventSenderOptions {
  codec: RecordEncoder;
  producer: MessageSender;
  topic: string;
  /** Batches encoded or being sent at once; `add` waits beyond it. */
  maxQueuedBatches?: number;
  /** Attempts per batch after kafkajs's own retries gave up. */
  attempts?: number;
  retryDelayMs?: number;
  /** Called with the number of events each time Kafka acknowledged a batch. */
  onAcknowledged(count: number): void;
}

export interface RawEventSender {
  /** Queues a batch; resolves when there is room for another (rejects once a send failed for good). */
  add(events: CdpEvent[]): Promise<void>;
  /** `add` for a batch already encoded with `toRawEventMessages` (by the import worker). */
  addEncoded(messages: OutgoingMessage[]): Promise<void>;
  /** Resolves when every queued batch was acknowledged; rejects with the failure otherwise. */
  flush(): Promise<void>;
}

/** Kafka did not take a batch after every retry: the import stops (exit 1). */
export class ImportSendError extends Error {
  override name = 'ImportSendError';
}

export function rawEventSender(options: RawEventSenderOptions): RawEventSender {
  const maxQueued = options.maxQueuedBatches ?? 4;
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const pending: Promise<void>[] = [];
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;

  async function sendWithRetry(count: number, encoded: Promise<OutgoingMessage[]>): Promise<void> {
    const messages = await encoded;
    for (let attempt = 1; ; attempt++) {
      try {
        await options.producer.send(messages);
        return;
      } catch (err) {
        // Sending a batch again is safe: its messageIds are the same, so a message written twice
        // is dropped by the resolver's messageId dedupe.
        if (attempt >= attempts)
          throw new ImportSendError(
            `Kafka did not acknowledge ${count} events after ${attempts} attempts: ${(err as Error).message}`,
            { cause: err },
          );
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
      }
    }
  }

  async function enqueue(count: number, encoded: Promise<OutgoingMessage[]>): Promise<void> {
    // Not awaited here: encoding overlaps the send in flight. A failure surfaces in the chain.
    encoded.catch(() => undefined);
    const sent = chain.then(async () => {
      if (failure) return;
      await sendWithRetry(count, encoded);
      options.onAcknowledged(count);
    });
    chain = sent.catch((err: unknown) => {
      failure ??= err instanceof Error ? err : new Error(String(err));
    });
    pending.push(chain);
    while (pending.length >= maxQueued) await pending.shift();
    if (failure) throw failure;
  }

  return {
    async add(events) {
      if (failure) throw failure;
      if (events.length === 0) return;
      await enqueue(events.length, toRawEventMessages(events, options.codec, options.topic));
    },
    async addEncoded(messages) {
      if (failure) throw failure;
      if (messages.length === 0) return;
      await enqueue(messages.length, Promise.resolve(messages));
    },
    async flush() {
      await chain;
      pending.length = 0;
      if (failure) throw failure;
    },
  };
}
