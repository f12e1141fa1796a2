// How far a consumer group is behind on its topics, from the broker's offsets: what a drained
// pipeline is waited on (lag 0), instead of sleeps or counts of records expected downstream.
import type { Kafka } from '../../services/common/kafka/kafka-client';

/** Records of `topics` not yet committed by `groupId` (a partition it never committed counts whole). */
export async function consumerLag(kafka: Kafka, groupId: string, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        const offset = Number(mine.find((p) => p.partition === end.partition)?.offset ?? -1);
        lag += Number(end.high) - (offset < 0 ? Number(end.low) : offset);
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}
