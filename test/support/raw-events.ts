// Reads a raw-event topic back as decoded events, with their Kafka keys.
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { decodeRawEvent } from '../../services/common/events/decode-event';
import type { CdpEvent } from '../../services/common/events/event-model';
import type { Kafka } from '../../services/common/kafka/kafka-client';
import { config, readTopic } from './real-stack';

export interface KeyedEvent {
  key: string | null;
  partition: number;
  event: CdpEvent;
}

export async function readRawEvents(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<KeyedEvent[]> {
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const records = await readTopic(kafka, topic, count, timeoutMs);
  return Promise.all(
    records.map(async (r) => ({
      key: r.key,
      partition: r.partition,
      event: await decodeRawEvent(codec, r.value),
    })),
  );
}

/** How many records a topic holds (sum of high watermarks): read exactly that many to see them all. */
export async function recordCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
