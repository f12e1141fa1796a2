// `cdp topics apply`: makes Kafka's topics match their definitions and registers every stream's schema.
import type { Config } from '../../common/config';
import { AvroCodec, subjectFor } from '../../common/codec/avro-codec';
import { applyTopicPlan, planTopics } from '../../common/kafka/apply-topics';
import { createKafka } from '../../common/kafka/kafka-client';
import { describeTopicChange, needsConfirmation } from '../../common/kafka/topic-plan';
import { topicDefinitions, type TopicDefinition } from '../../common/kafka/topics';
import { ALL_STREAMS } from '../../common/streams/all-streams';

export interface TopicsApplyOptions {
  /** Allows partition counts to grow. */
  yes?: boolean;
  /** Tests apply to topics of their own; the default is every topic defined in code. */
  definitions?: TopicDefinition[];
  /** Register Avro schemas (default true). */
  registerSchemas?: boolean;
}

export async function topicsApply(config: Config, options: TopicsApplyOptions = {}): Promise<number> {
  const defs = options.definitions ?? topicDefinitions(config);
  const kafka = createKafka(config, 'cdp-topics');
  const plan = await planTopics(kafka, defs, config);
  if (needsConfirmation(plan.changes) && options.yes !== true) {
    for (const change of plan.changes) console.log(describeTopicChange(change, 'planned'));
    process.stderr.write(
      'cdp topics apply: nothing applied: the plan above changes partition counts, which moves keys to ' +
        'other partitions; run `cdp topics apply --yes` to apply it (Kafka can add partitions, never remove them)\n',
    );
    return 1;
  }
  await applyTopicPlan(kafka, plan.changes, { allowPartitionChanges: options.yes === true });
  for (const change of plan.changes) console.log(describeTopicChange(change));
  if (options.registerSchemas === false) return 0;

  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  // Every stream's contract, the dead-letter stream's too (its .avsc documents the stored record),
  // so an incompatible change is refused here rather than by the first service that writes it.
  const applied = new Set(defs.map((d) => d.name));
  for (const stream of ALL_STREAMS) {
    if (!applied.has(stream.topic)) continue;
    const id = await codec.register(stream.topic, stream.schema());
    console.log(`schema     ${subjectFor(stream.topic)} id ${id}`);
  }
  return 0;
}

export function topicsList(config: Config): number {
  for (const def of topicDefinitions(config)) {
    const retention = def.retentionMs < 0 ? 'forever' : `${Math.round(def.retentionMs / 86_400_000)}d`;
    console.log(
      `${def.name.padEnd(30)} ${String(def.partitions).padStart(3)} partitions  ${def.cleanupPolicy.padEnd(7)} retention ${retention}`,
    );
  }
  const factor = config.CDP_TOPIC_REPLICATION_FACTOR;
  const minInsync = config.CDP_TOPIC_MIN_INSYNC_REPLICAS;
  console.log(
    `replication ${factor ?? 'from the broker count (1 broker: 1, 2: 2, 3 or more: 3)'}, ` +
      `min.insync.replicas ${minInsync ?? (factor === undefined ? 'from the broker count (1, 1, 2)' : factor >= 3 ? 2 : 1)}`,
  );
  return 0;
}
