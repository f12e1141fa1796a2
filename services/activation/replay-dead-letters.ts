// `cdp destinations replay`: the dead letters of one destination (optionally since a time) go back
// into its queue with their own ids, behind whatever the profiles have queued now. Each replay run
// queues every matching dead letter again, so run it once per incident.
import type { AvroCodec } from '../common/codec/avro-codec';
import type { Kafka } from '../common/kafka/kafka-client';
import { readTopicToEnd } from '../common/kafka/read-to-end';
import { destinationDeadLetters } from '../common/streams/activation';
import type { QueuedDelivery } from './delivery';
import type { DeliveryQueue } from './delivery-queue';

export interface ReplayRequest {
  kafka: Kafka;
  codec: Pick<AvroCodec, 'decodeRecord'>;
  queue: DeliveryQueue;
  tenant: string;
  destinationId: string;
  /** Epoch ms: only dead letters given up at or after it. */
  since?: number;
  topic?: string;
  now?: number;
}

export async function replayDeadLetters(request: ReplayRequest): Promise<{ replayed: number }> {
  const wanted: QueuedDelivery[] = [];
  await readTopicToEnd({
    kafka: request.kafka,
    topic: request.topic ?? destinationDeadLetters.topic,
    onRecord: async ({ value }) => {
      if (value === null) return;
      const dead = await request.codec.decodeRecord(destinationDeadLetters, value);
      if (dead.tenant !== request.tenant || dead.destinationId !== request.destinationId) return;
      if (request.since !== undefined && dead.deadAt < request.since) return;
      wanted.push(JSON.parse(dead.delivery) as QueuedDelivery);
    },
  });
  const now = request.now ?? Date.now();
  // A fresh max age: the replay is a new decision to deliver; the id (and so receivers' dedupe) stays.
  for (const delivery of wanted) await request.queue.enqueue({ ...delivery, createdAt: now }, now, true);
  return { replayed: wanted.length };
}
