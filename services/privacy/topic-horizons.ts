// Kafka topics cannot delete single records: a subject's copies in them go when retention removes
// their segment. A segment is removed once its newest record is older than retention.ms, and a
// segment stays open for up to segment.ms, so every copy written now is gone by
// now + segment.ms + retention.ms. The receipt lists that instant per topic.
import { ConfigResourceTypes } from 'kafkajs';
import type { Kafka } from '../common/kafka/kafka-client';

export interface TopicHorizon {
  topic: string;
  cleanupPolicy: string;
  retentionMs: number;
  segmentMs: number;
}

/** Kafka's defaults (log.retention.hours = 168, log.roll.hours = 168) when a topic names none. */
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export async function readTopicHorizons(kafka: Kafka, topics: readonly string[]): Promise<TopicHorizon[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms', 'segment.ms'],
      })),
    });
    return described.resources.map((r) => {
      const value = (name: string) => r.configEntries.find((e) => e.configName === name)?.configValue;
      return {
        topic: r.resourceName,
        cleanupPolicy: value('cleanup.policy') ?? 'delete',
        retentionMs: Number(value('retention.ms') ?? WEEK_MS),
        segmentMs: Number(value('segment.ms') ?? WEEK_MS),
      };
    });
  } finally {
    await admin.disconnect();
  }
}

/** When every copy written before `at` has expired; null when the topic keeps records for ever. */
export function expiryOf(horizon: TopicHorizon, at: number): number | null {
  if (horizon.retentionMs < 0) return null;
  return at + horizon.segmentMs + horizon.retentionMs;
}
