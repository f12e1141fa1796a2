// The one producer wrapper: idempotent, acks=all, grouped sends. Callers never see kafkajs types.
import { CompressionTypes, Partitioners, type Producer } from 'kafkajs';
import { producedMessages } from '../metrics/registry';
import type { Kafka } from './kafka-client';

export interface OutgoingMessage {
  topic: string;
  key: string | Buffer | null;
  /** null is a tombstone on compacted topics. */
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Epoch milliseconds; Kafka stamps the append time when absent. */
  timestamp?: number;
}

export interface MessageProducer {
  send(messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ProducerOptions {
  /** Per-send upper bound; a send that takes longer rejects (the caller decides to retry or answer 503). */
  sendTimeoutMs?: number;
}

export async function createProducer(kafka: Kafka, options: ProducerOptions = {}): Promise<MessageProducer> {
  const producer: Producer = kafka.producer({
    idempotent: true,
    // One request in flight keeps per-partition order across internal retries.
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Murmur2 like the Java client, so other producers agree on a key's partition.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const timeoutMs = options.sendTimeoutMs;

  async function send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic);
      if (list) list.push(m);
      else byTopic.set(m.topic, [m]);
    }
    const sending = producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      timeout: timeoutMs,
      topicMessages: [...byTopic.entries()].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({
          key: m.key,
          value: m.value,
          headers: m.headers,
          timestamp: m.timestamp === undefined ? undefined : String(m.timestamp),
        })),
      })),
    });
    if (timeoutMs === undefined) {
      await sending;
    } else {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          sending,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`kafka produce timed out after ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
        // A send that lost the race may still fail later; that outcome is already reported.
        sending.catch(() => undefined);
      }
    }
    for (const [topic, list] of byTopic) producedMessages.inc({ topic }, list.length);
  }

  return { send, disconnect: () => producer.disconnect() };
}
