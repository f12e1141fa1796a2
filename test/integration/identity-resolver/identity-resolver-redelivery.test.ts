// A message redelivered before its outputs were acknowledged (a crash between the Redis apply and
// the Kafka ack) re-sends the same change, merge, tombstone and warning records, byte for byte.
// Simulated on the real stack: the resolver runs without its after-send clean-up and the same raw
// record is consumed twice.
import type Redis from 'ioredis';
import { identityMerges } from '../../../services/common/streams/identity-merges';
import { ingestionWarnings } from '../../../services/common/streams/ingestion-warnings';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../../support/identity-graph-fixtures';
import {
  startResolverTestBed,
  type EventPublisher,
  type ResolverTestBed,
  type ResolverTestTopics,
} from '../../support/identity-resolver-stack';
import { recordCount } from '../../support/raw-events';
import { readTopic, testKafka, waitFor, type ReadRecord } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const tenant = uniqueTenant('redeliver');
let redis: Redis;
let topics: ResolverTestTopics;
let publisher: EventPublisher;
let bed: ResolverTestBed | undefined;

const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString();

beforeAll(async () => {
  redis = testRedis();
  bed = await startResolverTestBed(kafka, tenant, 'redeliver', { keepOutcomes: true });
  ({ topics, publisher } = bed);
});

afterAll(async () => {
  await bed?.close();
  await deleteTenantKeys(redis, tenant);
  await redis.quit();
});

async function untilResolved(count: number): Promise<void> {
  await waitFor(`resolved event #${count}`, async () =>
    (await recordCount(kafka, topics.resolved)) >= count ? true : undefined,
  );
}

/** Records of one topic (all written so far) whose decoded value satisfies `mine`, as raw bytes. */
async function recordsOf(
  topic: string,
  mine: (value: Record<string, unknown> | null, key: string | null) => boolean,
): Promise<ReadRecord[]> {
  const all = await readTopic(kafka, topic, await recordCount(kafka, topic));
  const out: ReadRecord[] = [];
  for (const r of all) {
    const value =
      r.value === null ? null : ((await publisher.codec.decode(r.value)) as Record<string, unknown>);
    if (mine(value, r.key)) out.push(r);
  }
  return out;
}

test('a redelivered merging message re-sends identical change, merge, tombstone and warning records', async () => {
  await publisher.publish([
    { messageId: 'r-1', tenant, type: 'page', anonymousId: 'anon-a', timestamp: at(1), receivedAt: at(1) },
    {
      messageId: 'r-2',
      tenant,
      type: 'identify',
      userId: 'ann',
      traits: { plan: 'free' },
      timestamp: at(2),
      receivedAt: at(2),
    },
    {
      messageId: 'r-3',
      tenant,
      type: 'identify',
      userId: 'bob',
      context: { device: { id: 'kiosk' } },
      timestamp: at(3),
      receivedAt: at(3),
    },
  ]);
  await untilResolved(3);
  // Merges anon-a's profile into ann's, changes a trait, and cannot link bob's kiosk (a warning).
  const merging = {
    messageId: 'r-4-merge',
    tenant,
    type: 'identify' as const,
    userId: 'ann',
    anonymousId: 'anon-a',
    traits: { plan: 'pro' },
    context: { device: { id: 'kiosk' } },
    timestamp: at(4),
    receivedAt: at(4),
  };
  await publisher.publish([merging]);
  await untilResolved(4);
  // Same bytes again, as Kafka redelivers a record whose offset was never committed.
  await publisher.publish([merging]);
  await untilResolved(5);

  const fromMerge = (v: Record<string, unknown> | null) =>
    v?.sourceMessageId === merging.messageId || v?.messageId === merging.messageId;
  const changes = await recordsOf(topics.changes, fromMerge);
  const merges = await recordsOf(topics.merges, fromMerge);
  const warnings = await recordsOf(topics.warnings, fromMerge);
  const resolved = await recordsOf(topics.resolved, fromMerge);
  expect([changes.length, merges.length, warnings.length, resolved.length]).toEqual([2, 2, 2, 2]);
  for (const [what, pair] of Object.entries({ changes, merges, warnings, resolved })) {
    expect([what, pair[0]?.key]).toEqual([what, pair[1]?.key]);
    expect([what, pair[0]?.value?.equals(pair[1]?.value ?? Buffer.alloc(0))]).toEqual([what, true]);
  }
  const merge = await publisher.codec.decodeRecord(identityMerges, merges[0]!.value);
  expect(merge.identifiersMoved).toEqual(['anonymous_id:anon-a']);
  const warning = await publisher.codec.decodeRecord(ingestionWarnings, warnings[0]!.value);
  expect(warning).toMatchObject({ code: 'limit', identifier: 'device_id:kiosk' });

  const loserId = merge.loserId;
  const tombstones = await recordsOf(topics.profiles, (v, key) => v === null && key === loserId);
  expect(tombstones).toHaveLength(2);

  // Kept, because nothing released it in this run: what the after-send step deletes.
  expect((await redis.keys(`{t:${tenant}}:o:*`)).length).toBe(4);
});
