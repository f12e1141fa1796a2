// `cdp identity rebuild`: restores the Redis identity graph from the compacted cdp.profiles.v1 topic.
import { AvroCodec } from '../../common/codec/avro-codec';
import type { Config } from '../../common/config';
import { createKafka, type Kafka } from '../../common/kafka/kafka-client';
import { createProducer } from '../../common/kafka/producer';
import { TOPICS } from '../../common/kafka/topics';
import { createRedis } from '../../common/redis/redis-client';
import { IdentityGraph } from '../../identity-resolver/identity-graph';
import { RESOLVER_GROUP_ID } from '../../identity-resolver/main';
import { rebuildFromSnapshots, type RebuildSummary } from '../../identity-resolver/rebuild-from-snapshots';
import { reconcileSnapshotTopic } from '../../identity-resolver/snapshot-guard';

export interface IdentityRebuildOptions {
  tenant?: string;
  topic?: string;
  /** The resolver's consumer group, which must have no members (default cdp-identity-resolver). */
  group?: string;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
}

export function formatRebuildSummary(s: RebuildSummary): string {
  return `read ${s.read}: restored ${s.restored}, stale ${s.stale}, merged ${s.merged}, tombstones ${s.tombstones}, other tenants ${s.skipped}`;
}

/** Why a rebuild must wait, naming each member and how to stop it. */
export function runningResolverMessage(groupId: string, members: GroupMember[]): string {
  const lines = members.map(
    (m) => `  ${m.clientId} on host ${m.clientHost.replace(/^\//, '')} (member ${m.memberId})`,
  );
  return [
    `cdp identity rebuild: refused: the identity resolver is running (consumer group ${groupId} has ` +
      `${members.length} member${members.length === 1 ? '' : 's'}):`,
    ...lines,
    // A resolver applying live events while old snapshots are written back would have them overwrite
    // each other's identifiers in Redis.
    'A rebuild under a running resolver mixes old snapshots with live writes. Stop every ' +
      '`cdp run identity-resolver` and `cdp run all` process on those hosts (SIGTERM: it finishes its ' +
      'chunk and leaves the group), then run the rebuild again. A process killed without SIGTERM ' +
      'stays listed until its session times out (30 s by default).',
  ].join('\n');
}

export async function groupMembers(kafka: Kafka, groupId: string): Promise<GroupMember[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return (groups[0]?.members ?? []).map(({ memberId, clientId, clientHost }) => ({
      memberId,
      clientId,
      clientHost,
    }));
  } finally {
    await admin.disconnect();
  }
}

export async function identityRebuild(config: Config, options: IdentityRebuildOptions): Promise<number> {
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-identity-rebuild`);
  // Checked once at the start: a resolver started during the rebuild is not caught (see docs/identity.md).
  const groupId = options.group ?? RESOLVER_GROUP_ID;
  const members = await groupMembers(kafka, groupId);
  if (members.length > 0) {
    process.stderr.write(`${runningResolverMessage(groupId, members)}\n`);
    return 1;
  }
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-identity-rebuild');
  try {
    const summary = await rebuildFromSnapshots({
      kafka,
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

/**
 * `cdp identity repair-snapshots`: makes the last record of every profile on cdp.profiles.v1 its
 * current Redis state (see snapshot-guard.ts). Safe while the resolver runs; Redis must be intact.
 */
export async function identityRepairSnapshots(
  config: Config,
  options: { tenant?: string; topic?: string },
): Promise<number> {
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-identity-repair`);
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-identity-repair');
  const producer = await createProducer(kafka);
  try {
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const summary = await reconcileSnapshotTopic({
      kafka,
      redis,
      graph: new IdentityGraph(redis),
      codec,
      send: (messages) => producer.send(messages),
      topic: options.topic ?? TOPICS.profiles,
      tenant: options.tenant,
    });
    console.log(
      `cdp identity repair-snapshots: checked ${summary.checked} profiles, appended ${summary.appended} records`,
    );
    return 0;
  } finally {
    await producer.disconnect();
    await redis.quit();
  }
}
