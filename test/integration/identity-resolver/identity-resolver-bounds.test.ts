// Hostile or careless input on the real stack, each followed by an event that still resolves: a
// far-future timestamp, 800 externalIds in one event, a hot profile sent 15,000 traits, and a
// record whose body names another tenant than its key. Stored outcomes are released once sent.
import type Redis from 'ioredis';
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';
import { validateEvents } from '../../../services/common/events/event-producer';
import { toRawEventRecord } from '../../../services/common/events/event-record';
import {
  ingestionWarnings,
  type IngestionWarningRecord,
} from '../../../services/common/streams/ingestion-warnings';
import { rawEvents } from '../../../services/common/streams/raw-events';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import { DEFAULT_MAX_TRAITS_PER_PROFILE } from '../../../services/identity-resolver/identity-rules';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../../support/identity-graph-fixtures';
import {
  readDecoded,
  startResolverTestBed,
  type EventPublisher,
  type ResolverTestBed,
  type ResolverTestTopics,
} from '../../support/identity-resolver-stack';
import { recordCount } from '../../support/raw-events';
import { readTopic, testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(180_000);

const kafka = testKafka();
const tenant = uniqueTenant('bounds');
let redis: Redis;
let graph: IdentityGraph;
let topics: ResolverTestTopics;
let publisher: EventPublisher;
let bed: ResolverTestBed | undefined;
let resolvedSoFar = 0;

beforeAll(async () => {
  redis = testRedis();
  graph = new IdentityGraph(redis);
  bed = await startResolverTestBed(kafka, tenant, 'bounds');
  ({ topics, publisher } = bed);
});

afterAll(async () => {
  await bed?.close();
  await deleteTenantKeys(redis, tenant);
  await redis.quit();
});

async function publishAndWait(events: Parameters<EventPublisher['publish']>[0]): Promise<void> {
  await publisher.publish(events);
  resolvedSoFar += events.length;
  const target = resolvedSoFar;
  await waitFor(`resolved event #${target}`, async () =>
    (await recordCount(kafka, topics.resolved)) >= target ? true : undefined,
  );
}

async function warningsOf(messageId: string): Promise<IngestionWarningRecord[]> {
  const all = await readDecoded(
    kafka,
    publisher.codec,
    ingestionWarnings,
    topics.warnings,
    await recordCount(kafka, topics.warnings),
  );
  return all.flatMap((r) => (r.value === null ? [] : [r.value])).filter((v) => v.messageId === messageId);
}

test('a far-future identify cannot freeze a trait: the current one wins and last_seen stays sane', async () => {
  const now = Date.now();
  await publishAndWait([
    {
      messageId: 'future-1',
      tenant,
      type: 'identify',
      userId: 'time-traveller',
      traits: { plan: 'frozen' },
      timestamp: '9999-12-31T00:00:00.000Z',
    },
  ]);
  await publishAndWait([
    {
      messageId: 'future-2',
      tenant,
      type: 'identify',
      userId: 'time-traveller',
      traits: { plan: 'current' },
      timestamp: new Date(now + 1000).toISOString(),
    },
  ]);
  const profile = await graph.getProfileByIdentifier(tenant, 'user_id:time-traveller');
  expect(profile?.traits).toEqual({ plan: 'current' });
  expect(Date.parse(profile!.lastSeen)).toBeLessThan(now + 3_600_000);
  expect((await warningsOf('future-1')).map((w) => w.code)).toEqual(['timestamp_clamped']);
});

test('800 externalIds in one event: bounded, one warning, and a later event resolves', async () => {
  const externalIds = Array.from({ length: 800 }, (_, i) => ({ id: `ext-${i}`, type: `crm_${i}` }));
  await publishAndWait([
    { messageId: 'many-ids', tenant, type: 'identify', userId: 'collector-of-ids', context: { externalIds } },
  ]);
  const profile = await graph.getProfileByIdentifier(tenant, 'user_id:collector-of-ids');
  expect(profile?.identifiers).toHaveLength(50);
  const warnings = await warningsOf('many-ids');
  expect(warnings.map((w) => w.code)).toEqual(['event_identifier_cap']);
  expect(warnings[0]?.message).toBe('751 identifier fields past the first 50 of the event ignored');

  await publishAndWait([{ messageId: 'after-many-ids', tenant, type: 'page', userId: 'collector-of-ids' }]);
});

test('300 identifies of one user with 50 new traits each: capped, every event has its outputs, no record over 1 MB', async () => {
  const base = Date.now() - 600_000;
  const events = Array.from({ length: 300 }, (_, i) => ({
    messageId: `hot-${i}`,
    tenant,
    type: 'identify' as const,
    userId: 'hot-user',
    traits: Object.fromEntries(Array.from({ length: 50 }, (_, j) => [`t${i}_${j}`, `value ${i} ${j}`])),
    timestamp: new Date(base + i * 1000).toISOString(),
  }));
  const changesBefore = await recordCount(kafka, topics.changes);
  const warningsBefore = await recordCount(kafka, topics.warnings);
  await publishAndWait(events);

  const profile = await graph.getProfileByIdentifier(tenant, 'user_id:hot-user');
  expect(Object.keys(profile?.traits ?? {})).toHaveLength(DEFAULT_MAX_TRAITS_PER_PROFILE);
  // One change per event (each moves last_seen), one trait_cap warning per event past the cap.
  await waitFor('the changes and warnings of every event', async () =>
    (await recordCount(kafka, topics.changes)) >= changesBefore + 300 &&
    (await recordCount(kafka, topics.warnings)) >= warningsBefore + 290
      ? true
      : undefined,
  );
  const warnings = (
    await readDecoded(
      kafka,
      publisher.codec,
      ingestionWarnings,
      topics.warnings,
      await recordCount(kafka, topics.warnings),
    )
  )
    .flatMap((r) => (r.value === null ? [] : [r.value]))
    .filter((v) => v.messageId.startsWith('hot-'));
  expect(warnings).toHaveLength(290);
  expect(new Set(warnings.map((w) => w.code))).toEqual(new Set(['trait_cap']));

  let largest = 0;
  for (const topic of [topics.resolved, topics.changes, topics.profiles, topics.warnings]) {
    for (const r of await readTopic(kafka, topic, await recordCount(kafka, topic)))
      largest = Math.max(largest, r.value?.length ?? 0);
  }
  expect(largest).toBeLessThan(1024 * 1024);
  // A change carries what changed: at most this event's 50 traits, never the whole profile.
  const changes = await readTopic(kafka, topics.changes, await recordCount(kafka, topics.changes));
  expect(Math.max(...changes.map((c) => c.value?.length ?? 0))).toBeLessThan(8 * 1024);
});

test('a record whose body tenant differs from its key tenant goes to the DLQ; the next resolves', async () => {
  const [event] = validateEvents(
    [{ messageId: 'wrong-tenant', tenant, type: 'page', anonymousId: 'intruder' }],
    new Date(),
  );
  await publisher.producer.send([
    {
      topic: topics.input,
      key: 'some-other-tenant:anonymous_id:intruder',
      value: await publisher.codec.encodeRecord(rawEvents, toRawEventRecord(event!), topics.input),
    },
  ]);
  await publishAndWait([{ messageId: 'after-wrong-tenant', tenant, type: 'page', anonymousId: 'visitor' }]);
  const [dead] = await readTopic(kafka, topics.dlq, 1);
  expect(dead?.headers[DLQ_HEADERS.errorClass]).toBe('TenantMismatch');
  expect(dead?.key).toBe('some-other-tenant:anonymous_id:intruder');
  expect(await graph.getProfileByIdentifier(tenant, 'anonymous_id:intruder')).toBeNull();
});

test('stored outcomes are released once their outputs are acknowledged', async () => {
  await waitFor('no stored outcome left', async () =>
    (await redis.keys(`{t:${tenant}}:o:*`)).length === 0 ? true : undefined,
  );
});
