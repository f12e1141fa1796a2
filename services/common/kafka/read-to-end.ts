// Reads a topic from its beginning up to the end offsets captured when the read starts, so it
// finishes even while producers keep writing. For restores from compacted topics.
import crypto from 'node:crypto';
import type { EachBatchPayload } from 'kafkajs';
import type { Kafka } from './kafka-client';
import { deletePrivateGroups, nonEmptyEndOffsets } from './private-readers';

export interface ReadToEndOptions {
  kafka: Kafka;
  topic: string;
  /** Records of one partition arrive in order; partitions may interleave. */
  onRecord(record: {
    partition: number;
    offset: string;
    key: Buffer | null;
    value: Buffer | null;
  }): Promise<void>;
  timeoutMs?: number;
}

export async function readTopicToEnd(options: ReadToEndOptions): Promise<void> {
  const { kafka, topic } = options;
  const ends = await nonEmptyEndOffsets(kafka, topic);
  if (ends.size === 0) return;

  // A fresh group starts at the beginning; it commits nothing and is deleted afterwards.
  const groupId = `cdp-read-to-end-${crypto.randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let finish: (err?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (err) => (err === undefined ? resolve() : reject(err));
  });

  async function eachBatch({ batch, heartbeat }: EachBatchPayload): Promise<void> {
    const end = ends.get(batch.partition);
    if (end === undefined) return;
    for (const m of batch.messages) {
      if (BigInt(m.offset) >= end) break;
      await options.onRecord({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value });
    }
    await heartbeat();
    // Compaction leaves offset gaps: "done" is the batch reaching the end offset, not a count.
    if (BigInt(batch.lastOffset()) + 1n >= end) {
      ends.delete(batch.partition);
      if (ends.size === 0) finish();
    }
  }

  const timeoutMs = options.timeoutMs ?? 600_000;
  const timer = setTimeout(
    () => finish(new Error(`${topic} was not read to its end within ${timeoutMs} ms`)),
    timeoutMs,
  );
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: (payload) => eachBatch(payload).catch((err: unknown) => finish(err)),
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    await deletePrivateGroups(kafka, [groupId]);
  }
}
