// The segment engine as a processor on real Kafka, Redis and the registry: definitions published to a
// private definitions topic, profile changes and resolved events in, membership and computed-trait
// records out; exit by time alone through the timer with a moved clock; a deleted segment exits its members.
import Redis from 'ioredis';
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { eventRow } from '../../../services/clickhouse-sink/event-rows';
import { profileRows } from '../../../services/clickhouse-sink/profile-rows';
import { definitionMessage, tombstoneMessage } from '../../../services/common/definitions/definitions-topic';
import { createProducer } from '../../../services/common/kafka/producer';
import { computedTraitChanges } from '../../../services/common/streams/computed-traits';
import { profileChanges } from '../../../services/common/streams/profile-changes';
import { resolvedEvents } from '../../../services/common/streams/resolved-events';
import {
  segmentMembership,
  type SegmentMembershipRecord,
} from '../../../services/common/streams/segment-membership';
import { segmentEngine, type SegmentEngineOptions } from '../../../services/segment-engine/main';
import { deleteTenantSegmentState } from '../../../services/segment-engine/segment-state-store';
import { startTestProcessor } from '../../support/processor-harness';
import {
  config,
  createTopics,
  deleteTopics,
  readTopic,
  testKafka,
  uniqueName,
} from '../../support/real-stack';
import { DAY, trackEvent, traitChange } from '../../support/segment-fixtures';

jest.setTimeout(120_000);

const kafka = testKafka();
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
const redis = new Redis(config.CDP_REDIS_URL);
afterAll(() => redis.quit());

test('definitions in, live entries, an exit by time alone, a deleted segment exits its members', async () => {
  const tenant = uniqueName('segp').replace(/[^a-z0-9_-]/gi, '_');
  const definitionsTopic = uniqueName('test.segment-engine.definitions');
  await createTopics(kafka, [definitionsTopic], 1);
  const producer = await createProducer(kafka, { maxRequestBytes: 1_000_000 });
  const T0 = Date.UTC(2026, 0, 10, 12);
  let now = T0;
  const publish = async (body: { kind: string; id: string }, version = 1) =>
    producer.send([
      await definitionMessage(
        codec,
        { tenant, kind: body.kind, id: body.id, version, body: JSON.stringify(body), updatedAt: T0 },
        definitionsTopic,
      ),
    ]);
  await publish({
    kind: 'segment',
    id: 'de',
    condition: { trait: 'country', op: 'eq', value: 'DE' },
  } as never);
  await publish({
    kind: 'segment',
    id: 'recent-buyers',
    condition: { event: 'Order Completed', within_days: 1 },
  } as never);
  await publish({
    kind: 'computed_trait',
    id: 'spend',
    event: 'Order Completed',
    aggregate: 'sum',
    property: 'total',
  } as never);

  const options: SegmentEngineOptions = { now: () => now, tickMs: 100, definitionsTopic };
  const engine = await startTestProcessor(kafka, segmentEngine, { options });
  const { inputs, outputs } = engine.topics;
  const send = async (topic: string, key: string, value: Buffer) => producer.send([{ topic, key, value }]);
  try {
    await send(
      inputs.changes,
      'p1',
      await codec.encodeRecord(
        profileChanges,
        traitChange(tenant, 'p1', 1, { country: 'DE' }),
        inputs.changes,
      ),
    );
    await send(
      inputs.changes,
      'p2',
      await codec.encodeRecord(
        profileChanges,
        traitChange(tenant, 'p2', 1, { country: 'FR' }),
        inputs.changes,
      ),
    );
    for (const [p, m, total] of [
      ['p1', 'm1', 30],
      ['p2', 'm2', 12],
      ['p2', 'm3', 5],
    ] as const) {
      const e = trackEvent(tenant, p, m, 'Order Completed', T0, { total });
      await send(inputs.events, p, await codec.encodeRecord(resolvedEvents, e, inputs.events));
    }
    const line = (r: SegmentMembershipRecord) => `${r.profileId} ${r.segmentId} ${r.status} ${r.version}`;
    const membership = async (n: number) => {
      const rows = await readTopic(kafka, outputs.membership, n);
      const records = await Promise.all(rows.map((r) => codec.decodeRecord(segmentMembership, r.value)));
      return records.map(line).sort();
    };
    const entered = ['p1 de entered 1', 'p1 recent-buyers entered 1', 'p2 recent-buyers entered 1'];
    expect(await membership(3)).toEqual(entered);
    const computedRows = await readTopic(kafka, outputs.computed, 5);
    const computed = await Promise.all(
      computedRows.map((r) => codec.decodeRecord(computedTraitChanges, r.value)),
    );
    // A profile's sum starts at 0 (the sum of no orders), then follows its orders.
    expect(computed.map((r) => `${r.profileId} ${r.value} ${r.version}`).sort()).toEqual([
      'p1 0 1',
      'p1 30 2',
      'p2 0 1',
      'p2 12 2',
      'p2 17 3',
    ]);

    // Midnight passes: with no event, the timer exits both from recent-buyers.
    now = (Math.floor(T0 / DAY) + 1) * DAY;
    expect(await membership(5)).toEqual(
      [...entered, 'p1 recent-buyers exited 2', 'p2 recent-buyers exited 2'].sort(),
    );

    await producer.send([tombstoneMessage({ tenant, kind: 'segment', id: 'de' }, definitionsTopic)]);
    expect(await membership(6)).toEqual(
      [...entered, 'p1 recent-buyers exited 2', 'p2 recent-buyers exited 2', 'p1 de exited 2'].sort(),
    );
  } finally {
    await engine.stop();
    await producer.disconnect();
    await deleteTopics(kafka, [definitionsTopic]);
    await deleteTenantSegmentState(redis, tenant);
  }
});

test('a new definition is backfilled: profiles ClickHouse holds enter, with progress in the log', async () => {
  const tenant = uniqueName('segb').replace(/[^a-z0-9_-]/gi, '_');
  const database = `cdp_segb_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const clickhouse = createClickHouse(config);
  const definitionsTopic = uniqueName('test.segment-engine.definitions');
  await createTopics(kafka, [definitionsTopic], 1);
  await migrate(clickhouse, database, loadMigrations());
  const profiles = ['q1', 'q2', 'q3'].map(
    (id, i) =>
      profileRows({
        tenant,
        profileId: id,
        version: 2,
        traits: JSON.stringify({ country: i < 2 ? 'DE' : 'FR' }),
        identifiers: [],
        firstSeen: 0,
        lastSeen: 0,
        updatedAt: 0,
        mergedInto: null,
      } as never).profile,
  );
  await clickhouse.insert({
    table: `${sqlIdentifier(database)}.profiles`,
    values: profiles,
    format: 'JSONEachRow',
  });
  // q3's two orders are in the history only: a new signature is backfilled from events_resolved.
  const history = [1, 2].map((n) =>
    eventRow(trackEvent(tenant, 'q3', `o${n}`, 'Order Completed', Date.now() - n * DAY)),
  );
  await clickhouse.insert({
    table: `${sqlIdentifier(database)}.events`,
    values: history,
    format: 'JSONEachRow',
  });
  const producer = await createProducer(kafka, { maxRequestBytes: 1_000_000 });
  const engine = await startTestProcessor(kafka, segmentEngine, {
    options: { definitionsTopic, clickhouseDatabase: database, tickMs: 100 },
  });
  try {
    const bodies = [
      { kind: 'segment', id: 'de', condition: { trait: 'country', op: 'eq', value: 'DE' } },
      {
        kind: 'segment',
        id: 'repeat',
        condition: { event: 'Order Completed', within_days: 7, count: { gte: 2 } },
      },
    ];
    for (const body of bodies)
      await producer.send([
        await definitionMessage(
          codec,
          { tenant, kind: 'segment', id: body.id, version: 1, body: JSON.stringify(body), updatedAt: 0 },
          definitionsTopic,
        ),
      ]);
    const rows = await readTopic(kafka, engine.topics.outputs.membership, 3);
    const records = await Promise.all(rows.map((r) => codec.decodeRecord(segmentMembership, r.value)));
    expect(records.map((r) => `${r.profileId} ${r.segmentId} ${r.status}`).sort()).toEqual([
      'q1 de entered',
      'q2 de entered',
      'q3 repeat entered',
    ]);
  } finally {
    await engine.stop();
    await producer.disconnect();
    await deleteTopics(kafka, [definitionsTopic]);
    await deleteTenantSegmentState(redis, tenant);
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}` });
    await clickhouse.close();
  }
});
