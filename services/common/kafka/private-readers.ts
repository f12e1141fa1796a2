// What every private reader of a topic needs (a consumer of its own that commits nothing: a read to
// the end, a follower of definitions or receipts): where the topic ends now, and its group removed
// when it is done, so the broker's group list does not grow with every run.
import type { Kafka } from './kafka-client';

/** The end offset of every partition that holds anything (high > low), read once. */
export async function nonEmptyEndOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(
      offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** Deletes consumer groups that committed nothing; best effort (a failure leaves an empty group). */
export async function deletePrivateGroups(kafka: Kafka, groupIds: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups(groupIds).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
