// One bad record costs one DLQ record, never a stuck partition: records produced straight to the
// sink's input topics on the real stack (Kafka, schema registry, ClickHouse), each followed by good
// ones that must land, with the inputs' offsets committed past them.
import type { z } from 'zod';
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';
import { createProducer, type MessageProducer } from '../../../services/common/kafka/producer';
import { createLogger } from '../../../services/common/logger';
import type { RunningService } from '../../../services/common/runtime/service-definition';
import { startClickHouseSink, type SinkTopics } from '../../../services/clickhouse-sink/main';
import { identityMerges } from '../../../services/common/streams/identity-merges';
import { profileSnapshots } from '../../../services/common/streams/profile-snapshots';
import { resolvedEvents } from '../../../services/common/streams/resolved-events';
import type { AvroStream } from '../../../services/common/streams/stream';
import { REFUSED_ROW_ERROR_CLASS } from '../../../services/clickhouse-sink/refused-rows';
import {
  committedOffsets,
  config,
  createTopics,
  deleteTopics,
  readTopic,
  testKafka,
  uniqueName,
  waitFor,
} from '../../support/real-stack';
import { resolvedOrderRecord } from '../../support/resolved-event-record';

const kafka = testKafka();
const logger = createLogger('clickhouse-sink-bad-rows-test', 'silent');
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
const clickhouse = createClickHouse(config);
const database = `cdp_sink_bad_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const db = sqlIdentifier(database);
const tenant = uniqueName('tenant');
const topics: SinkTopics = {
  events: uniqueName('test.sink-bad.events'),
  profiles: uniqueName('test.sink-bad.profiles'),
  merges: uniqueName('test.sink-bad.merges'),
  warnings: uniqueName('test.sink-bad.warnings'),
  deadLetters: uniqueName('test.sink-bad.dlq-in'),
  deliveries: uniqueName('test.sink-bad.deliveries'),
  membership: uniqueName('test.sink-bad.membership'),
  computed: uniqueName('test.sink-bad.computed'),
};
const sinkDlq = uniqueName('test.sink-bad.own-dlq');
const groupId = uniqueName('g-sink-bad');
const T = Date.UTC(2026, 0, 2, 3, 4, 5);
/** More months than max_partitions_per_insert_block's default (100) on current ClickHouse. */
const MONTHS = 130;

let producer: MessageProducer;
let sink: RunningService | undefined;
const sent: Record<keyof SinkTopics, number> = {
  events: 0,
  profiles: 0,
  merges: 0,
  warnings: 0,
  deadLetters: 0,
  deliveries: 0,
  membership: 0,
  computed: 0,
};

beforeAll(async () => {
  await createTopics(kafka, [...Object.values(topics), sinkDlq], 1);
  await migrate(clickhouse, database, loadMigrations());
  producer = await createProducer(kafka);
  sink = await startClickHouseSink(config, logger, {
    topics,
    database,
    groupId,
    dlq: sinkDlq,
    // One flush per chunk: the month-spanning events and the refused row share inserts with good rows.
    limits: { maxRows: 10_000, maxBytes: 64e6, maxAgeMs: 60_000 },
  });
});

afterAll(async () => {
  await sink?.stop();
  await producer.disconnect();
  await deleteTopics(kafka, [...Object.values(topics), sinkDlq]);
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await clickhouse.close();
});

/** Each input written as its stream, to this test's own topic. */
async function send<S extends z.ZodType>(
  stream: AvroStream<S>,
  kind: keyof SinkTopics,
  key: string,
  values: z.infer<S>[],
): Promise<void> {
  const topic = topics[kind];
  const encoded = await Promise.all(
    values.map(async (v) => ({ topic, key, value: await codec.encodeRecord(stream, v, topic) })),
  );
  await producer.send(encoded);
  sent[kind] += values.length;
}

/** Waits until the sink committed everything sent so far: committed means ClickHouse acknowledged. */
async function allCommitted(): Promise<void> {
  await waitFor(
    'every input committed',
    async () => {
      for (const kind of Object.keys(sent) as (keyof SinkTopics)[]) {
        if (sent[kind] === 0) continue;
        const offsets = await committedOffsets(kafka, groupId, topics[kind]);
        if (offsets.get(0) !== sent[kind]) return undefined;
      }
      return true;
    },
    90_000,
  );
}

async function rows<R>(query: string): Promise<R[]> {
  const rs = await clickhouse.query({ query, format: 'JSONEachRow' });
  return rs.json<R>();
}

function event(messageId: string, at: number, properties?: string) {
  const record = resolvedOrderRecord({ tenant, messageId, profileId: 'P', at, total: 1 });
  return properties === undefined ? record : { ...record, properties };
}

function snapshot(profileId: string, version: number, identifiers: string[], at = T) {
  return {
    tenant,
    profileId,
    version,
    identifiers,
    traits: JSON.stringify({ name: profileId }),
    traitTimestamps: {},
    mergedInto: null,
    mergeCount: 0,
    firstSeen: at - 86_400_000,
    lastSeen: at,
    updatedAt: at,
    mergedFrom: [],
    traitState: null,
  };
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

it('a lone surrogate, a batch over many months and a refused row cost one DLQ record; the rest lands', async () => {
  // (a) "\ud800" as the properties JSON carries it (an escape), then good events behind it.
  await send(resolvedEvents, 'events', 'P', [
    event('surrogate', T, '{"k":"\\ud800","ok":"fine"}'),
    event('after-surrogate-1', T + 1),
    event('after-surrogate-2', T + 2),
  ]);
  // (b) one event per month over MONTHS months, all in one chunk and one flush.
  const spread = Array.from({ length: MONTHS }, (_, i) => event(`month-${i}`, Date.UTC(2010, i, 15)));
  await send(resolvedEvents, 'events', 'P', spread);
  // (c) a snapshot whose version ClickHouse refuses (UInt64 column; Avro long allows -1), between
  // good ones of other profiles.
  await send(profileSnapshots, 'profiles', 'G1', [snapshot('G1', 1, ['email:g1'])]);
  const badSnapshot = snapshot('BAD', -1, ['email:bad']);
  await send(profileSnapshots, 'profiles', 'BAD', [badSnapshot]);
  await send(profileSnapshots, 'profiles', 'G2', [snapshot('G2', 2, ['email:g2'])]);
  // (d) a loser at version 40 merged into a survivor at version 3.
  await send(profileSnapshots, 'profiles', 'L', [snapshot('L', 40, ['email:l'], T - 5000)]);
  await send(profileSnapshots, 'profiles', 'S', [snapshot('S', 3, ['email:s', 'email:l'])]);
  await send(identityMerges, 'merges', 'S', [merge('L', 'S', 3, T + 1000)]);
  await allCommitted();

  const [surrogate] = await rows<{ prop_values: string[]; properties: string }>(
    `SELECT prop_values, properties FROM ${db}.events FINAL WHERE message_id = 'surrogate'`,
  );
  expect(surrogate?.prop_values).toEqual(['\ufffd', 'fine']);
  const [events] = await rows<{ c: string; months: string }>(
    `SELECT count() AS c, uniqExact(toYYYYMM(timestamp)) AS months FROM ${db}.events FINAL WHERE tenant = ${sqlString(tenant)}`,
  );
  expect(Number(events?.c)).toBe(3 + MONTHS);
  expect(Number(events?.months)).toBe(MONTHS + 1);

  const profiles = await rows<{
    profile_id: string;
    version: string;
    merged_into: string;
    identifiers: string[];
  }>(`SELECT profile_id, version, merged_into, identifiers FROM ${db}.profiles FINAL ORDER BY profile_id`);
  expect(profiles.map((p) => [p.profile_id, Number(p.version), p.merged_into, p.identifiers])).toEqual([
    ['G1', 1, '', ['email:g1']],
    ['G2', 2, '', ['email:g2']],
    ['L', T + 1000, 'S', []],
    ['S', 3, '', ['email:s', 'email:l']],
  ]);

  // The refused snapshot's record is in the sink's DLQ: original key, bytes and the server's reason.
  const [dead, extra] = await readTopic(kafka, sinkDlq, 1, 10_000);
  expect(extra).toBeUndefined();
  expect(dead?.key).toBe('BAD');
  expect(dead?.value).toEqual(await codec.encodeRecord(profileSnapshots, badSnapshot, topics.profiles));
  expect(dead?.headers[DLQ_HEADERS.errorClass]).toBe(REFUSED_ROW_ERROR_CLASS);
  expect(dead?.headers[DLQ_HEADERS.errorMessage]).toMatch(/^profiles: Code: 72\b/);
  expect(dead?.headers[DLQ_HEADERS.sourceTopic]).toBe(topics.profiles);
  expect(dead?.headers[DLQ_HEADERS.sourceOffset]).toBe('1');
});

it('sets merged_into even when the loser’s snapshot arrives after its merge', async () => {
  await send(identityMerges, 'merges', 'S', [merge('LATE', 'S', 3, T + 2000)]);
  await allCommitted();
  await send(profileSnapshots, 'profiles', 'LATE', [snapshot('LATE', 7, ['email:late'])]);
  await allCommitted();
  const [late] = await rows<{ version: string; merged_into: string }>(
    `SELECT version, merged_into FROM ${db}.profiles FINAL WHERE profile_id = 'LATE'`,
  );
  expect(late).toEqual({ version: String(T + 2000), merged_into: 'S' });
});
