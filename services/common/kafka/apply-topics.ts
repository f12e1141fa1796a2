// Makes the cluster's topics match their definitions (idempotent).
import { ConfigResourceTypes, type Admin } from 'kafkajs';
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

/**
 * kafkajs's own wait (`waitForLeaders`) gives up when the broker has not yet heard of a topic it
 * just created (UNKNOWN_TOPIC_OR_PARTITION, seen on a busy broker right after deletions); this one
 * keeps asking until every partition has a leader.
 */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.length === topics.length && found.every((t) => t.partitions.every((p) => p.leader >= 0)))
        return;
    } catch (err) {
      if (Date.now() > until) throw err;
    }
    if (Date.now() > until)
      throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
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
        waitForLeaders: false,
        topics: toCreate.map((d) => ({
          topic: d.name,
          numPartitions: d.partitions,
          replicationFactor: -1,
          configEntries: topicConfigEntries(d),
        })),
      });
      await waitForLeaders(
        admin,
        toCreate.map((d) => d.name),
      );
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
