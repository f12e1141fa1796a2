// The one producer wrapper: idempotent, acks=all, grouped sends. Callers never see kafkajs types.
import { CompressionTypes, type Producer } from 'kafkajs';
import { producedMessages } from '../metrics/registry';
import type { Kafka } from './kafka-client';
import { Murmur2Partitioner } from './murmur2-partitioner';
import { splitBySize } from './send-batches';

/** Below the broker's default `message.max.bytes` (1,048,588) with room for request framing. */
export const DEFAULT_MAX_REQUEST_BYTES = 1_000_000;

export interface OutgoingMessage {
  topic: string;
  key: string | Buffer | null;
  /** null is a tombstone on compacted topics. */
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Epoch milliseconds; Kafka stamps the append time when absent. */
  timestamp?: number;
}

/** Anything that sends messages and resolves once Kafka acknowledged them all. */
export interface MessageSender {
  send(messages: OutgoingMessage[]): Promise<void>;
}

export interface MessageProducer extends MessageSender {
  disconnect(): Promise<void>;
}

export interface ProducerOptions {
  /** Per-send upper bound; a send that takes longer rejects (the caller decides to retry or answer 503). */
  sendTimeoutMs?: number;
  /** A send larger than this goes out as several requests, one after the other (order kept). */
  maxRequestBytes?: number;
  /**
   * Record batch compression (default none). gzip spends producer CPU (in libuv's thread pool) and
   * the broker's (it decompresses to validate) on fewer bytes sent, written and replicated.
   */
  compression?: 'none' | 'gzip';
}

export async function createProducer(kafka: Kafka, options: ProducerOptions = {}): Promise<MessageProducer> {
  const producer: Producer = kafka.producer({
    idempotent: true,
    // One request in flight keeps per-partition order across internal retries.
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Murmur2 like the Java client, so other producers agree on a key's partition (kafkajs's
    // DefaultPartitioner's rules, cheaper arithmetic).
    createPartitioner: Murmur2Partitioner,
  });
  await producer.connect();
  const timeoutMs = options.sendTimeoutMs;
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;

  async function sendRequest(messages: OutgoingMessage[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic);
      if (list) list.push(m);
      else byTopic.set(m.topic, [m]);
    }
    await producer.sendBatch({
      acks: -1,
      compression,
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
    for (const [topic, list] of byTopic) producedMessages.inc({ topic }, list.length);
  }

  async function sendAll(messages: OutgoingMessage[]): Promise<void> {
    for (const request of splitBySize(messages, maxRequestBytes)) await sendRequest(request);
  }

  async function send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const sending = sendAll(messages);
    if (timeoutMs === undefined) {
      await sending;
      return;
    }
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

  return { send, disconnect: () => producer.disconnect() };
}
