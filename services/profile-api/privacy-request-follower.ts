// What the profile API knows about privacy requests, without reading a topic per HTTP request: one
// private consumer follows cdp.privacy.requests.v1 and cdp.privacy.receipts.v1 from a look-back
// window (default 30 days, the requests topic's retention) and keeps, per `<tenant>:<requestId>`,
// "pending" or the receipt, in an LRU of bounded size. Request values (they name the subject) are
// never decoded: the key is all it needs. Its group commits nothing and is deleted on stop.
import crypto from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { AvroCodec } from '../common/codec/avro-codec';
import type { Kafka } from '../common/kafka/kafka-client';
import { deletePrivateGroups } from '../common/kafka/private-readers';
import { TOPICS } from '../common/kafka/topics';
import type { Logger } from '../common/logger';
import { privacyReceipts, type PrivacyReceiptRecord } from '../common/streams/privacy-receipts';
import { LruMap } from './lru-map';

export const DEFAULT_PRIVACY_LOOK_BACK_MS = 30 * 24 * 3600 * 1000;
export const DEFAULT_PRIVACY_MAX_REQUESTS = 100_000;

export type PrivacyRequestState =
  { status: 'unknown' } | { status: 'pending' } | { status: 'done'; receipt: PrivacyReceiptRecord };

export interface PrivacyRequestFollowerOptions {
  kafka: Kafka;
  codec: Pick<AvroCodec, 'decodeRecord'>;
  logger: Logger;
  topics?: { requests: string; receipts: string };
  lookBackMs?: number;
  maxRequests?: number;
  now?: () => number;
}

export class PrivacyRequestFollower {
  /** null: the request was seen, its receipt not yet. */
  private readonly requests: LruMap<string, PrivacyReceiptRecord | null>;
  private readonly groupId = `cdp-profile-api-privacy-${crypto.randomBytes(6).toString('hex')}`;
  private consumer?: Consumer;
  readonly topics: { requests: string; receipts: string };

  constructor(private readonly options: PrivacyRequestFollowerOptions) {
    this.topics = options.topics ?? { requests: TOPICS.privacyRequests, receipts: TOPICS.privacyReceipts };
    this.requests = new LruMap(options.maxRequests ?? DEFAULT_PRIVACY_MAX_REQUESTS);
  }

  state(tenant: string, requestId: string): PrivacyRequestState {
    const key = `${tenant}:${requestId}`;
    if (!this.requests.has(key)) return { status: 'unknown' };
    const receipt = this.requests.get(key) ?? null;
    return receipt === null ? { status: 'pending' } : { status: 'done', receipt };
  }

  /** A request this instance just published: known at once, before the consumer reads it back. */
  noteRequest(tenant: string, requestId: string): void {
    this.seen(`${tenant}:${requestId}`);
  }

  private seen(key: string): void {
    // A receipt read before its request (two topics interleave) stays.
    if (!this.requests.has(key)) this.requests.set(key, null);
  }

  /** Resolves once every request and receipt of the look-back window published before the call is in memory. */
  async start(): Promise<void> {
    const { kafka } = this.options;
    const since =
      (this.options.now ?? Date.now)() - (this.options.lookBackMs ?? DEFAULT_PRIVACY_LOOK_BACK_MS);
    const topics = [this.topics.requests, this.topics.receipts];
    // Per topic and partition: where the window starts, and the last offset present at start.
    const starts: { topic: string; partition: number; offset: string }[] = [];
    const lasts = new Map<string, bigint>();
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of topics) {
        const [ends, from] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchTopicOffsetsByTimestamp(topic, since),
        ]).catch((err: unknown) => {
          throw new Error(
            `profile API: cannot read the offsets of ${topic} (run 'cdp topics apply'?): ${err instanceof Error ? err.message : String(err)}`,
          );
        });
        for (const p of from) {
          const end = BigInt(ends.find((e) => e.partition === p.partition)?.high ?? '0');
          const offset = BigInt(p.offset) < 0n ? end : BigInt(p.offset);
          starts.push({ topic, partition: p.partition, offset: offset.toString() });
          if (offset < end) lasts.set(`${topic}/${p.partition}`, end - 1n);
        }
      }
    } finally {
      await admin.disconnect();
    }
    let caughtUp: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (lasts.size === 0) caughtUp();

    const consumer = kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const key = message.key?.toString('utf8');
        if (key !== undefined && message.value !== null) {
          if (topic === this.topics.requests) this.seen(key);
          else await this.receipt(key, message.value);
        }
        // Exactly the last offset present at start: messages fetched before the seek below took
        // effect (offsets past it) must not count as caught up.
        const where = `${topic}/${partition}`;
        if (lasts.get(where) === BigInt(message.offset)) {
          lasts.delete(where);
          if (lasts.size === 0) caughtUp();
        }
      },
    });
    for (const s of starts) consumer.seek(s);
    await ready;
  }

  private async receipt(key: string, value: Buffer): Promise<void> {
    try {
      this.requests.set(key, await this.options.codec.decodeRecord(privacyReceipts, value));
    } catch (err) {
      // One undecodable receipt must not stop the others; its request keeps answering pending.
      this.options.logger.warn({ err, key }, 'profile API: cannot decode a privacy receipt');
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer === undefined) return;
    await consumer.disconnect();
    await deletePrivateGroups(this.options.kafka, [this.groupId]);
  }
}
