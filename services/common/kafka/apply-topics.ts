// Makes the cluster's topics match their definitions (idempotent).
import { ConfigResourceTypes } from 'kafkajs';
import type { Kafka } from './kafka-client';
import { planTopicChanges, type ExistingTopic, type TopicChange } from './topic-plan';
import { topicConfigEntries, type TopicDefinition } from './topics';

async function readExisting(kafka: Kafka, names: string[]): Promise<ExistingTopic[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const wanted = names.filter((n) => present.has(n));
    if (wanted.length === 0) return [];
    const metadata = await admin.fetchTopicMetadata({ topics: wanted });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: wanted.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    });
    return metadata.topics.map((t) => {
      const resource = described.resources.find((r) => r.resourceName === t.name);
      const configs: Record<string, string> = {};
      for (const entry of resource?.configEntries ?? []) configs[entry.configName] = entry.configValue;
      return { name: t.name, partitions: t.partitions.length, configs };
    });
  } finally {
    await admin.disconnect();
  }
}

export async function applyTopics(kafka: Kafka, defs: TopicDefinition[]): Promise<TopicChange[]> {
  const changes = planTopicChanges(
    defs,
    await readExisting(
      kafka,
      defs.map((d) => d.name),
    ),
  );
  const admin = kafka.admin();
  await admin.connect();
  try {
    const toCreate = changes.flatMap((c) => (c.kind === 'create' ? [c.def] : []));
    if (toCreate.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: toCreate.map((d) => ({
          topic: d.name,
          numPartitions: d.partitions,
          replicationFactor: -1,
          configEntries: topicConfigEntries(d),
        })),
      });
    }
    const toGrow = changes.flatMap((c) => (c.kind === 'add-partitions' ? [c.def] : []));
    if (toGrow.length > 0) {
      await admin.createPartitions({
        topicPartitions: toGrow.map((d) => ({ topic: d.name, count: d.partitions })),
      });
    }
    const toAlter = changes.flatMap((c) => (c.kind === 'alter-configs' ? [c.def] : []));
    if (toAlter.length > 0) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: toAlter.map((d) => ({
          type: ConfigResourceTypes.TOPIC,
          name: d.name,
          configEntries: topicConfigEntries(d),
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
  return changes;
}
