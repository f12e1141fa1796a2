// The private space one bench run works in: its own topics, tenant keys in Redis and ClickHouse
// database, created up front and removed afterwards whatever happened, so runs never touch real
// data and leave nothing behind.
import { createClickHouse, type ClickHouseClient } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../services/common/clickhouse/escape-sql';
import type { Config } from '../../services/common/config';
import { applyTopics } from '../../services/common/kafka/apply-topics';
import { createKafka, type Kafka } from '../../services/common/kafka/kafka-client';
import { createRedis, type Redis } from '../../services/common/redis/redis-client';
import { deleteKeysMatching } from '../../services/common/redis/delete-keys';
import { tenantPrefix } from '../../services/identity-resolver/redis-keys';

export interface BenchScratch {
  kafka: Kafka;
  redis: Redis;
  /** Not bound to `database`: the caller migrates it and names it in queries. */
  clickhouse: ClickHouseClient;
  cleanup(): Promise<void>;
}

export interface ScratchSpec {
  clientId: string;
  topics: string[];
  tenant: string;
  database: string;
  /** Bench topics expire even when a run is killed before its cleanup. */
  retentionMs: number;
}

export async function openScratch(config: Config, spec: ScratchSpec): Promise<BenchScratch> {
  const kafka = createKafka(config, spec.clientId, { quiet: true });
  const redis = createRedis(config.CDP_REDIS_URL, spec.clientId);
  const clickhouse = createClickHouse(config);
  const cleanup = async () => {
    await clickhouse
      .command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(spec.database)}` })
      .catch(() => undefined);
    await clickhouse.close().catch(() => undefined);
    await deleteKeysMatching(redis, `${tenantPrefix(spec.tenant)}:*`).catch(() => undefined);
    redis.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: spec.topics }).catch(() => undefined);
    await admin.disconnect();
  };
  try {
    await applyTopics(
      kafka,
      spec.topics.map((name) => ({
        name,
        partitions: config.CDP_TOPIC_PARTITIONS,
        cleanupPolicy: 'delete',
        retentionMs: spec.retentionMs,
      })),
    );
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { kafka, redis, clickhouse, cleanup };
}
