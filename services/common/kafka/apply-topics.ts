// Makes the cluster's topics match their definitions (idempotent): plan first, then apply.
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { Config } from '../config';
import type { Kafka } from './kafka-client';
import { needsConfirmation, planTopicChanges, type ExistingTopic, type TopicChange } from './topic-plan';
import {
  MANAGED_TOPIC_CONFIGS,
  resolveReplication,
  topicConfigEntries,
  withReplication,
  type Replication,
  type TopicDefinition,
} from './topics';

async function readExisting(admin: Admin, names: string[]): Promise<ExistingTopic[]> {
  const present = new Set(await admin.listTopics());
  const wanted = names.filter((n) => present.has(n));
  if (wanted.length === 0) return [];
  const metadata = await admin.fetchTopicMetadata({ topics: wanted });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: wanted.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: MANAGED_TOPIC_CONFIGS,
    })),
  });
  return metadata.topics.map((t) => {
    const resource = described.resources.find((r) => r.resourceName === t.name);
    const configs: Record<string, string> = {};
    for (const entry of resource?.configEntries ?? []) configs[entry.configName] = entry.configValue;
    const replicationFactor = Math.min(...t.partitions.map((p) => p.replicas.length));
    return { name: t.name, partitions: t.partitions.length, replicationFactor, configs };
  });
}

export interface TopicPlan {
  changes: TopicChange[];
  /** Absent when the definitions leave replication to the broker's defaults. */
  replication?: Replication;
  brokers: number;
}

/**
 * What applying `defs` would change. With `replication` settings, every topic gets the configured
 * (or broker-count derived) replication factor and min.insync.replicas.
 */
export async function planTopics(
  kafka: Kafka,
  defs: TopicDefinition[],
  replication?: Pick<Config, 'CDP_TOPIC_REPLICATION_FACTOR' | 'CDP_TOPIC_MIN_INSYNC_REPLICAS'>,
): Promise<TopicPlan> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const brokers = (await admin.describeCluster()).brokers.length;
    const resolved = replication === undefined ? undefined : resolveReplication(replication, brokers);
    const desired = resolved === undefined ? defs : withReplication(defs, resolved);
    const existing = await readExisting(
      admin,
      desired.map((d) => d.name),
    );
    return { changes: planTopicChanges(desired, existing), replication: resolved, brokers };
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

/** Carries out a plan. Partition growth is refused unless `allowPartitionChanges` (see needsConfirmation). */
export async function applyTopicPlan(
  kafka: Kafka,
  changes: TopicChange[],
  options: { allowPartitionChanges?: boolean } = {},
): Promise<void> {
  if (needsConfirmation(changes) && options.allowPartitionChanges !== true) {
    throw new Error('the plan changes partition counts; nothing was applied (confirmation needed)');
  }
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
          replicationFactor: d.replicationFactor ?? -1,
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
}

/** Plans and applies in one go, for topics of one's own (tests, bench scratch topics). */
export async function applyTopics(
  kafka: Kafka,
  defs: TopicDefinition[],
  options: { allowPartitionChanges?: boolean } = {},
): Promise<TopicChange[]> {
  const { changes } = await planTopics(kafka, defs);
  await applyTopicPlan(kafka, changes, options);
  return changes;
}
