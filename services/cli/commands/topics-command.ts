// `cdp topics apply`: makes Kafka's topics match their definitions and registers their Avro schemas.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../common/config';
import { AvroCodec, SCHEMAS_DIR, subjectFor } from '../../common/codec/avro-codec';
import { applyTopics } from '../../common/kafka/apply-topics';
import { createKafka } from '../../common/kafka/kafka-client';
import { describeTopicChange } from '../../common/kafka/topic-plan';
import { topicDefinitions } from '../../common/kafka/topics';

export async function topicsApply(config: Config): Promise<number> {
  const defs = topicDefinitions(config);
  const changes = await applyTopics(createKafka(config, 'cdp-topics'), defs);
  for (const change of changes) console.log(describeTopicChange(change));

  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  for (const def of defs) {
    if (!fs.existsSync(path.join(SCHEMAS_DIR, `${def.name}.avsc`))) continue;
    const id = await codec.register(def.name);
    console.log(`schema     ${subjectFor(def.name)} id ${id}`);
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
  return 0;
}
