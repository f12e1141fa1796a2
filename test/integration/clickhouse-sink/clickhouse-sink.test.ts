// The sink against the real stack: unique topics and a unique ClickHouse database, rows checked
// after a first run and again after a full replay (idempotent after FINAL), merges resolved by the
// events_resolved view.
import type { z } from 'zod';
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { deadLetter } from '../../../services/common/kafka/dead-letter';
import { createProducer, type MessageProducer } from '../../../services/common/kafka/producer';
import { createLogger } from '../../../services/common/logger';
import type { RunningService } from '../../../services/common/runtime/service-definition';
import { startClickHouseSink, type SinkTopics } from '../../../services/clickhouse-sink/main';
import { identityMerges } from '../../../services/common/streams/identity-merges';
import { ingestionWarnings } from '../../../services/common/streams/ingestion-warnings';
import { profileSnapshots } from '../../../services/common/streams/profile-snapshots';
import { resolvedEvents } from '../../../services/common/streams/resolved-events';
import { deliveryDecisions } from '../../../services/common/streams/activation';
import { computedTraitChanges } from '../../../services/common/streams/computed-traits';
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import type { AvroStream } from '../../../services/common/streams/stream';
import {
  committedOffsets,
  config,
  createTopics,
  deleteTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '../../support/real-stack';
import { profileSnapshotRecord } from '../../support/profile-snapshot-record';
import { resolvedOrderRecord } from '../../support/resolved-event-record';

const kafka = testKafka();
const logger = createLogger('clickhouse-sink-test', 'silent');
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
const clickhouse = createClickHouse(config);
const database = `cdp_sink_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const db = sqlIdentifier(database);
const tenant = uniqueName('tenant');
const topics: SinkTopics = {
  events: uniqueName('test.sink.events'),
  profiles: uniqueName('test.sink.profiles'),
  merges: uniqueName('test.sink.merges'),
  warnings: uniqueName('test.sink.warnings'),
  deadLetters: uniqueName('test.sink.dlq'),
  deliveries: uniqueName('test.sink.deliveries'),
  membership: uniqueName('test.sink.membership'),
  computed: uniqueName('test.sink.computed'),
};
const sinkDlq = uniqueName('test.sink.own-dlq');
const T = Date.UTC(2026, 0, 2, 3, 4, 5);

let producer: MessageProducer;
let sink: RunningService | undefined;

beforeAll(async () => {
  await createTopics(kafka, [...Object.values(topics), sinkDlq], 1);
  await migrate(clickhouse, database, loadMigrations());
  producer = await createProducer(kafka);
});

afterAll(async () => {
  await sink?.stop();
  await producer.disconnect();
  await deleteTopics(kafka, [...Object.values(topics), sinkDlq]);
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await clickhouse.close();
});

function resolvedEvent(messageId: string, profileId: string, offsetMs: number) {
  return resolvedOrderRecord({ tenant, messageId, profileId, at: T + offsetMs, total: 10 + offsetMs });
}

function snapshot(profileId: string, version: number, identifiers: string[], mergedInto: string | null) {
  return profileSnapshotRecord({ tenant, profileId, version, at: T, identifiers, mergedInto });
}

function merge(loserId: string, survivorId: string, survivorVersion: number, mergedAt: number) {
  return {
    mergeId: `${loserId}:${survivorId}`,
    tenant,
    survivorId,
    loserId,
    survivorVersion,
    identifiersMoved: [],
    sourceMessageId: null,
    mergedAt,
  };
}

async function publish(): Promise<void> {
  // Each input written as its stream, to this test's own topic.
  const send = async <S extends z.ZodType>(
    stream: AvroStream<S>,
    kind: keyof SinkTopics,
    key: string,
    value: z.infer<S>,
  ) =>
    producer.send([
      { topic: topics[kind], key, value: await codec.encodeRecord(stream, value, topics[kind]) },
    ]);
  await send(resolvedEvents, 'events', 'C', resolvedEvent('m-c', 'C', 1));
  await send(resolvedEvents, 'events', 'A', resolvedEvent('m-a', 'A', 2));
  await send(resolvedEvents, 'events', 'B', resolvedEvent('m-b', 'B', 3));
  await send(profileSnapshots, 'profiles', 'C', snapshot('C', 1, ['email:c'], null));
  await send(profileSnapshots, 'profiles', 'A', snapshot('A', 2, ['email:a', 'email:c'], null));
  await send(profileSnapshots, 'profiles', 'C', snapshot('C', 2, [], 'A'));
  await send(profileSnapshots, 'profiles', 'B', snapshot('B', 5, ['email:a', 'email:b', 'email:c'], null));
  await send(profileSnapshots, 'profiles', 'A', snapshot('A', 3, [], 'B'));
  // A chain: C into A, then A into B; C must end up pointing at B (the root), not at A.
  await send(identityMerges, 'merges', 'A', merge('C', 'A', 2, T + 10_000));
  await send(identityMerges, 'merges', 'B', merge('A', 'B', 5, T + 20_000));
  await send(ingestionWarnings, 'warnings', `${tenant}:m-a`, {
    warningId: 'm-a:limit:email:x',
    tenant,
    messageId: 'm-a',
    profileId: 'A',
    code: 'limit',
    message: 'too many emails',
    identifier: 'email:x',
    trait: null,
    occurredAt: T,
  });
  await send(deliveryDecisions, 'deliveries', `${tenant}:crm-hook:A`, {
    tenant,
    destinationId: 'crm-hook',
    profileId: 'A',
    sourceStream: 'membership',
    sourceId: 'c-1',
    idempotencyId: 'msg_1',
    attempt: 2,
    status: 'retried',
    reason: 'HTTP 503: busy',
    httpStatus: 503,
    latencyMs: 1500,
    decidedAt: T,
  });
  await send(segmentMembership, 'membership', `${tenant}:B`, {
    changeId: `${tenant}:vip:B:1`,
    tenant,
    segmentId: 'vip',
    profileId: 'B',
    status: 'entered',
    version: 1,
    segmentVersion: 1,
    changedAt: T,
  });
  await send(computedTraitChanges, 'computed', `${tenant}:B`, {
    changeId: `${tenant}:spend:B:1`,
    tenant,
    traitId: 'spend',
    profileId: 'B',
    value: '42',
    previous: null,
    version: 1,
    definitionVersion: 1,
    changedAt: T,
  });
  const poison = {
    topic: 'cdp.events.raw.v1',
    partition: 4,
    offset: '42',
    key: Buffer.from(`${tenant}:track:u1`),
    value: Buffer.from([0xde, 0xad]),
    headers: {},
    timestamp: T,
  };
  await producer.send([
    deadLetter(poison, topics.deadLetters, 'identity-resolver', 'DecodeError', 'bad bytes'),
  ]);
}

async function rows<R>(query: string): Promise<R[]> {
  const rs = await clickhouse.query({ query, format: 'JSONEachRow' });
  return rs.json<R>();
}

async function finalCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'events',
    'profiles',
    'identities',
    'profile_overrides',
    'ingestion_warnings',
    'dead_letters',
    'deliveries',
    'segment_membership_changes',
    'segment_membership',
    'computed_trait_values',
  ]) {
    const [r] = await rows<{ c: string }>(`SELECT count() AS c FROM ${db}.${table} FINAL`);
    out[table] = Number(r?.c);
  }
  return out;
}

const EXPECTED = {
  events: 3,
  profiles: 3,
  identities: 3,
  profile_overrides: 2,
  ingestion_warnings: 1,
  dead_letters: 1,
  deliveries: 1,
  segment_membership_changes: 1,
  segment_membership: 1,
  computed_trait_values: 1,
};

async function runSinkUntilCommitted(groupId: string): Promise<void> {
  sink = await startClickHouseSink(config, logger, {
    topics,
    database,
    groupId,
    dlq: sinkDlq,
    limits: { maxRows: 4, maxBytes: 1e6, maxAgeMs: 60_000 },
  });
  const ends: Record<string, number> = {
    events: 3,
    profiles: 5,
    merges: 2,
    warnings: 1,
    deadLetters: 1,
    deliveries: 1,
    membership: 1,
    computed: 1,
  };
  await waitFor(
    'every input committed',
    async () => {
      for (const [kind, end] of Object.entries(ends)) {
        const offsets = await committedOffsets(kafka, groupId, topics[kind as keyof SinkTopics]);
        if (offsets.get(0) !== end) return undefined;
      }
      return true;
    },
    60_000,
  );
  await sink.stop();
  sink = undefined;
}

it('writes every input, flattens merges, resolves events, and a replay changes nothing after FINAL', async () => {
  await publish();
  await runSinkUntilCommitted(uniqueName('g'));
  // Committed means acknowledged by ClickHouse: the rows are there as soon as the offsets are.
  const first = await finalCounts();
  expect(first).toEqual(EXPECTED);

  const overrides = await rows<{ old_profile_id: string; override_profile_id: string }>(
    `SELECT old_profile_id, override_profile_id FROM ${db}.profile_overrides FINAL ORDER BY old_profile_id`,
  );
  expect(overrides).toEqual([
    { old_profile_id: 'A', override_profile_id: 'B' },
    { old_profile_id: 'C', override_profile_id: 'B' },
  ]);
  const resolved = await rows<{ message_id: string; profile_id: string }>(
    `SELECT message_id, profile_id FROM ${db}.events_resolved WHERE tenant = ${sqlString(tenant)} ORDER BY message_id`,
  );
  expect(resolved).toEqual([
    { message_id: 'm-a', profile_id: 'B' },
    { message_id: 'm-b', profile_id: 'B' },
    { message_id: 'm-c', profile_id: 'B' },
  ]);
  const identities = await rows<{ identifier: string; profile_id: string }>(
    `SELECT identifier, profile_id FROM ${db}.identities FINAL ORDER BY identifier`,
  );
  expect(identities.every((r) => r.profile_id === 'B')).toBe(true);
  const profiles = await rows<{ profile_id: string; version: string; merged_into: string }>(
    `SELECT profile_id, version, merged_into FROM ${db}.profiles FINAL ORDER BY profile_id`,
  );
  // A merged loser's row is rewritten by its merge record at version mergedAt (merged-profile-row.ts).
  expect(profiles.map((p) => [p.profile_id, Number(p.version), p.merged_into])).toEqual([
    ['A', T + 20_000, 'B'],
    ['B', 5, ''],
    ['C', T + 10_000, 'A'],
  ]);
  const [filtered] = await rows<{ c: string }>(
    `SELECT count() AS c FROM ${db}.events_resolved WHERE prop_values[indexOf(prop_keys, 'currency')] = 'EUR'`,
  );
  expect(Number(filtered?.c)).toBe(3);
  const [dead] = await rows<{
    error_class: string;
    value_base64: string;
    tenant: string;
    source_offset: string;
  }>(
    `SELECT error_class, value_base64, tenant, toString(source_offset) AS source_offset FROM ${db}.dead_letters`,
  );
  expect(dead).toEqual({ error_class: 'DecodeError', value_base64: '3q0=', tenant, source_offset: '42' });

  // Replay everything with a new group: the same rows again, deduped by the ReplacingMergeTree keys.
  await runSinkUntilCommitted(uniqueName('g-replay'));
  expect(await finalCounts()).toEqual(first);
  const replayedOverrides = await rows<{ old_profile_id: string; override_profile_id: string }>(
    `SELECT old_profile_id, override_profile_id FROM ${db}.profile_overrides FINAL ORDER BY old_profile_id`,
  );
  expect(replayedOverrides).toEqual(overrides);
});
