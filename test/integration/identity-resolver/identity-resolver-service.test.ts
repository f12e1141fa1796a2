// The identity resolver end to end on the real stack: raw events in, resolved events, profile
// changes, snapshots, merges and DLQ records out; then the graph rebuilt from the snapshot topic.
import type Redis from 'ioredis';
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';
import type { RunningService } from '../../../services/common/runtime/service-definition';
import { identityMerges } from '../../../services/common/streams/identity-merges';
import { profileChanges } from '../../../services/common/streams/profile-changes';
import { profileSnapshots } from '../../../services/common/streams/profile-snapshots';
import { resolvedEvents } from '../../../services/common/streams/resolved-events';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import type { ProfileSnapshot } from '../../../services/identity-resolver/identity-outcome';
import { rebuildFromSnapshots } from '../../../services/identity-resolver/rebuild-from-snapshots';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../../support/identity-graph-fixtures';
import {
  createResolverTopics,
  dropResolverTopics,
  eventPublisher,
  readDecoded,
  startTestResolver,
  uniqueName,
  type DecodedRecord,
  type EventPublisher,
  type ResolverTestTopics,
} from '../../support/identity-resolver-stack';
import { recordCount } from '../../support/raw-events';
import { readTopic, testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const tenant = uniqueTenant('resolver');
let redis: Redis;
let graph: IdentityGraph;
let topics: ResolverTestTopics;
let publisher: EventPublisher;
let resolver: RunningService | undefined;

const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString();
const IDENTIFIERS = [
  'anonymous_id:anon-phone',
  'anonymous_id:anon-laptop',
  'user_id:u-ann',
  'email:ann@example.com',
];

beforeAll(async () => {
  redis = testRedis();
  graph = new IdentityGraph(redis);
  topics = await createResolverTopics(kafka, 1);
  publisher = await eventPublisher(kafka, topics.input);
  resolver = await startTestResolver(topics, tenant, uniqueName('cdp-identity-resolver-test'));
});

afterAll(async () => {
  await resolver?.stop();
  await publisher?.producer.disconnect();
  await deleteTenantKeys(redis, tenant);
  await redis.quit();
  await dropResolverTopics(kafka, topics);
});

/** Publishes one event and waits until the resolver has emitted `resolvedSoFar` resolved events. */
async function step(event: Parameters<EventPublisher['publish']>[0][number], resolvedSoFar: number) {
  await publisher.publish([event]);
  await waitFor(`resolved event #${resolvedSoFar}`, async () =>
    (await recordCount(kafka, topics.resolved)) >= resolvedSoFar ? true : undefined,
  );
}

describe('identity resolver service', () => {
  const identify2 = {
    messageId: 'ev-4-laptop-identify',
    tenant,
    type: 'identify' as const,
    anonymousId: 'anon-laptop',
    traits: { email: 'ANN@example.com ', plan: 'pro' },
    timestamp: at(4),
  };

  it('stitches two devices into one profile and publishes every output', async () => {
    await step(
      { messageId: 'ev-1-phone-page', tenant, type: 'page', anonymousId: 'anon-phone', timestamp: at(1) },
      1,
    );
    await step(
      {
        messageId: 'ev-2-phone-identify',
        tenant,
        type: 'identify',
        anonymousId: 'anon-phone',
        userId: 'u-ann',
        traits: { email: 'ann@example.com', plan: 'free' },
        timestamp: at(2),
      },
      2,
    );
    await step(
      { messageId: 'ev-3-laptop-page', tenant, type: 'page', anonymousId: 'anon-laptop', timestamp: at(3) },
      3,
    );
    await step(identify2, 4);

    const profiles = await Promise.all(IDENTIFIERS.map((id) => graph.getProfileByIdentifier(tenant, id)));
    const survivor = profiles[0]!;
    expect(new Set(profiles.map((p) => p?.profileId))).toEqual(new Set([survivor.profileId]));
    expect(survivor.identifiers).toEqual([...IDENTIFIERS].sort());
    // Traits keep the value as sent (last writer wins); only the identifier is normalized.
    expect(survivor.traits).toEqual({ email: 'ANN@example.com ', plan: 'pro' });
    expect(survivor.mergedFrom).toHaveLength(1);
    const loserId = survivor.mergedFrom[0]!;

    // Outputs are keyed by profile, so they spread over partitions: compare in message order.
    const byMessage =
      <T>(field: (value: T) => string | null) =>
      (a: DecodedRecord<T>, b: DecodedRecord<T>) =>
        String(a.value && field(a.value)).localeCompare(String(b.value && field(b.value)));
    const resolved = (await readDecoded(kafka, publisher.codec, resolvedEvents, topics.resolved, 4)).sort(
      byMessage((r) => r.messageId),
    );
    expect(resolved.map((r) => [r.value?.messageId, r.key])).toEqual([
      ['ev-1-phone-page', survivor.profileId],
      ['ev-2-phone-identify', survivor.profileId],
      ['ev-3-laptop-page', loserId],
      ['ev-4-laptop-identify', survivor.profileId],
    ]);

    const changes = (await readDecoded(kafka, publisher.codec, profileChanges, topics.changes, 4)).sort(
      byMessage((c) => c.sourceMessageId),
    );
    expect(changes.map((c) => [c.value?.kind, c.value?.profileId, c.value?.version])).toEqual([
      ['created', survivor.profileId, 1],
      ['updated', survivor.profileId, 2],
      ['created', loserId, 1],
      ['merged', survivor.profileId, survivor.version],
    ]);
    expect(changes[3]?.value).toMatchObject({
      changeId: `${survivor.profileId}:${survivor.version}`,
      sourceMessageId: 'ev-4-laptop-identify',
      mergedFrom: [loserId],
    });

    const merges = await readDecoded(kafka, publisher.codec, identityMerges, topics.merges, 1);
    expect(merges).toEqual([
      expect.objectContaining({
        key: survivor.profileId,
        value: expect.objectContaining({
          loserId,
          survivorId: survivor.profileId,
          mergeId: `${loserId}:${survivor.profileId}`,
        }),
      }),
    ]);

    const snapshots = await readDecoded(kafka, publisher.codec, profileSnapshots, topics.profiles, 5);
    const tombstones = snapshots.filter((s) => s.value === null);
    expect(tombstones.map((t) => t.key)).toEqual([loserId]);
    const last = snapshots.filter((s) => s.key === survivor.profileId).pop();
    expect(last?.value).toMatchObject({
      version: survivor.version,
      identifiers: survivor.identifiers,
      mergedFrom: [loserId],
    });
  });

  it('answers a duplicate messageId with a snapshot but no second change', async () => {
    const changesBefore = await recordCount(kafka, topics.changes);
    const snapshotsBefore = await recordCount(kafka, topics.profiles);
    await step(identify2, 5);
    await waitFor('the duplicate snapshot', async () =>
      (await recordCount(kafka, topics.profiles)) > snapshotsBefore ? true : undefined,
    );
    expect(await recordCount(kafka, topics.changes)).toBe(changesBefore);
  });

  it('sends a record that is not an event to the DLQ and goes on', async () => {
    await publisher.producer.send([
      { topic: topics.input, key: 'garbage', value: Buffer.from('not avro at all') },
    ]);
    const [dead] = await readTopic(kafka, topics.dlq, 1);
    expect(dead?.value?.toString()).toBe('not avro at all');
    expect(dead?.headers).toMatchObject({
      [DLQ_HEADERS.errorClass]: 'DecodeError',
      [DLQ_HEADERS.service]: 'identity-resolver',
      [DLQ_HEADERS.sourceTopic]: topics.input,
    });
    await step(
      {
        messageId: 'ev-6-after-garbage',
        tenant,
        type: 'track',
        event: 'Viewed',
        userId: 'u-ann',
        timestamp: at(6),
      },
      6,
    );
  });

  it('dead-letters an event of a tenant the resolver does not know, and one with no usable identifier', async () => {
    await publisher.publish([
      {
        messageId: 'ev-7-stranger',
        tenant: 'not-configured',
        type: 'page',
        anonymousId: 'x',
        timestamp: at(7),
      },
      // "undefined" is a blocked value: the event stays valid but names nobody.
      { messageId: 'ev-8-nobody', tenant, type: 'page', anonymousId: 'undefined', timestamp: at(8) },
    ]);
    const dead = await readTopic(kafka, topics.dlq, 3);
    expect(dead.map((d) => d.headers[DLQ_HEADERS.errorClass]).sort()).toEqual([
      'DecodeError',
      'NoIdentifier',
      'UnknownTenant',
    ]);
  });

  it('rebuilds the same graph from the snapshot topic after Redis lost the tenant', async () => {
    await resolver?.stop();
    resolver = undefined;
    const before = new Map<string, ProfileSnapshot | null>();
    for (const id of IDENTIFIERS) before.set(id, await graph.getProfileByIdentifier(tenant, id));
    expect([...before.values()].every((p) => p !== null)).toBe(true);

    expect(await deleteTenantKeys(redis, tenant)).toBeGreaterThan(0);
    expect(await graph.getProfileByIdentifier(tenant, IDENTIFIERS[0]!)).toBeNull();

    const summary = await rebuildFromSnapshots({
      kafka,
      codec: publisher.codec,
      graph,
      tenant,
      topic: topics.profiles,
      timeoutMs: 60_000,
    });
    expect(summary).toMatchObject({ tombstones: 1, skipped: 0 });
    expect(summary.restored + summary.stale + summary.merged).toBe(summary.read - 1);

    for (const id of IDENTIFIERS)
      expect([id, await graph.getProfileByIdentifier(tenant, id)]).toEqual([id, before.get(id)]);
  });
});
