// Rebuild is exact although snapshots of one profile reach the compacted topic out of order:
// two writers append version 6, then version 5. The broker really compacts (private topics with
// tiny segments); without the snapshot guard the topic keeps 5 and a rebuild restores 5, with it
// the topic keeps 6 and a rebuild restores 6.
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { profileSnapshots } from '../../../services/common/streams/profile-snapshots';
import { readTopicToEnd } from '../../../services/common/kafka/read-to-end';
import { createProducer, type MessageProducer } from '../../../services/common/kafka/producer';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import type { ProfileSnapshot } from '../../../services/identity-resolver/identity-outcome';
import { toSnapshotRecord } from '../../../services/identity-resolver/profile-snapshot-record';
import { rebuildFromSnapshots } from '../../../services/identity-resolver/rebuild-from-snapshots';
import { reconcileSnapshotTopic } from '../../../services/identity-resolver/snapshot-guard';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../../support/identity-graph-fixtures';
import { config, deleteTopics, testKafka, uniqueName, waitFor } from '../../support/real-stack';

const kafka = testKafka();
const redis = testRedis();
const graph = new IdentityGraph(redis);
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
const unguarded = { topic: uniqueName('test.rebuild-exact.unguarded'), tenant: uniqueTenant('rebuild') };
const guarded = { topic: uniqueName('test.rebuild-exact.guarded'), tenant: uniqueTenant('rebuild') };
let producer: MessageProducer;

function version(v: number, plan: string): ProfileSnapshot {
  return {
    profileId: 'profile-out-of-order',
    identifiers: ['email:ann@example.com'],
    traits: { plan },
    traitState: { plan: { kind: 'set', ts: Date.UTC(2025, 0, v), value: JSON.stringify(plan) } },
    version: v,
    firstSeen: new Date(Date.UTC(2025, 0, 1)).toISOString(),
    lastSeen: new Date(Date.UTC(2025, 0, v)).toISOString(),
    mergedFrom: [],
  };
}
const newer = version(6, 'pro');
const older = version(5, 'free');

async function appendSnapshot(topic: string, tenant: string, snapshot: ProfileSnapshot): Promise<void> {
  const value = await codec.encodeRecord(
    profileSnapshots,
    toSnapshotRecord(tenant, snapshot, new Date()),
    topic,
  );
  await producer.send([{ topic, key: snapshot.profileId, value }]);
}

/** Versions of the profile's records still in the topic (null: tombstone). */
async function versionsInTopic(topic: string): Promise<(number | null)[]> {
  const found: (number | null)[] = [];
  await readTopicToEnd({
    kafka,
    topic,
    onRecord: async ({ key, value }) => {
      if (key?.toString() !== newer.profileId) return;
      found.push(value === null ? null : (await codec.decodeRecord(profileSnapshots, value)).version);
    },
  });
  return found;
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [unguarded.topic, guarded.topic].map((topic) => ({
      topic,
      numPartitions: 1,
      // Segments roll after 100 ms and any dirt is worth cleaning, so the broker's log cleaner
      // compacts within its back-off (15 s by default) instead of never.
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.ms', value: '100' },
        { name: 'min.cleanable.dirty.ratio', value: '0.001' },
        { name: 'min.compaction.lag.ms', value: '0' },
      ],
    })),
  });
  await admin.disconnect();
  producer = await createProducer(kafka);
});

afterAll(async () => {
  await producer?.disconnect();
  await deleteTopics(kafka, [unguarded.topic, guarded.topic]);
  for (const { tenant } of [unguarded, guarded]) await deleteTenantKeys(redis, tenant);
  redis.disconnect();
});

it('restores the newest version after compaction, even when an older snapshot was appended last', async () => {
  for (const { topic, tenant } of [unguarded, guarded]) {
    // Redis holds version 6 (what the resolver applied last); the topic got 6, then the late 5.
    expect(await graph.restoreProfile(tenant, newer)).toBe('restored');
    await appendSnapshot(topic, tenant, newer);
    await appendSnapshot(topic, tenant, older);
  }

  const repair = await reconcileSnapshotTopic({
    kafka,
    redis,
    graph,
    codec,
    send: (messages) => producer.send(messages),
    topic: guarded.topic,
    tenant: guarded.tenant,
  });
  expect(repair).toEqual({ checked: 1, appended: 1 });
  // Checking again finds nothing behind: the guard stops once the topic agrees with Redis.
  expect(
    await reconcileSnapshotTopic({
      kafka,
      redis,
      graph,
      codec,
      send: (messages) => producer.send(messages),
      topic: guarded.topic,
    }),
  ).toEqual({ checked: 1, appended: 0 });

  // Let the broker compact both topics: one record per key is what any reader sees afterwards.
  const compacted = await waitFor(
    'the log cleaner to compact both topics',
    async () => {
      // Each append after segment.ms rolls the segment, making the earlier records cleanable;
      // tombstones, so a rebuild reads nothing but snapshots.
      await producer.send([
        { topic: unguarded.topic, key: 'filler', value: null },
        { topic: guarded.topic, key: 'filler', value: null },
      ]);
      const left = [await versionsInTopic(unguarded.topic), await versionsInTopic(guarded.topic)];
      return left.every((versions) => versions.length === 1) ? left : undefined;
    },
    110_000,
  );
  expect(compacted).toEqual([[5], [6]]);

  for (const { topic, tenant } of [unguarded, guarded]) {
    await deleteTenantKeys(redis, tenant);
    await rebuildFromSnapshots({ kafka, codec, graph, tenant, topic });
  }
  // Without the guard the rebuild is wrong (the issue this test proves fixed); with it, exact.
  expect((await graph.getProfile(unguarded.tenant, newer.profileId))?.version).toBe(5);
  expect(await graph.getProfile(guarded.tenant, newer.profileId)).toEqual(newer);
}, 180_000);
