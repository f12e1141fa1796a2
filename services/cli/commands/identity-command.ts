// `cdp identity rebuild`: restores the Redis identity graph from the compacted cdp.profiles.v1 topic.
import { AvroCodec } from '../../common/codec/avro-codec';
import type { Config } from '../../common/config';
import { createKafka } from '../../common/kafka/kafka-client';
import { createRedis } from '../../common/redis/redis-client';
import { IdentityGraph } from '../../identity-resolver/identity-graph';
import { rebuildFromSnapshots, type RebuildSummary } from '../../identity-resolver/rebuild-from-snapshots';

export interface IdentityRebuildOptions {
  tenant?: string;
  topic?: string;
}

export function formatRebuildSummary(s: RebuildSummary): string {
  return `read ${s.read}: restored ${s.restored}, stale ${s.stale}, merged ${s.merged}, tombstones ${s.tombstones}, other tenants ${s.skipped}`;
}

export async function identityRebuild(config: Config, options: IdentityRebuildOptions): Promise<number> {
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-identity-rebuild');
  try {
    const summary = await rebuildFromSnapshots({
      kafka: createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-identity-rebuild`),
      codec: new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL),
      graph: new IdentityGraph(redis),
      tenant: options.tenant,
      topic: options.topic,
      progressEvery: 10_000,
      // Progress goes to stderr so stdout carries only the summary.
      onProgress: (s) => process.stderr.write(`cdp identity rebuild: ${formatRebuildSummary(s)}\n`),
    });
    console.log(`cdp identity rebuild: done; ${formatRebuildSummary(summary)}`);
    return 0;
  } finally {
    await redis.quit();
  }
}
