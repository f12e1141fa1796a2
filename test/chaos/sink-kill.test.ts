// Crash test of the ClickHouse sink: SIGKILLed at random moments while resolved events and profile
// snapshots flow (small batches flushed every 100 ms, so kills land between a flush and its offset
// commit, and during inserts). Once drained: every event is in ClickHouse once after FINAL, every
// profile at its last version, nothing in the sink's DLQ; and at least one kill found records not yet
// committed (the restart read them again, and rows it wrote twice collapse under FINAL).
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { createClickHouse, queryRows } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../services/common/clickhouse/migrator';
import { createProducer } from '../../services/common/kafka/producer';
import { readTopicToEnd } from '../../services/common/kafka/read-to-end';
import { profileSnapshots } from '../../services/common/streams/profile-snapshots';
import { resolvedEvents } from '../../services/common/streams/resolved-events';
import type { SinkTopics } from '../../services/clickhouse-sink/main';
import { consumerLag } from '../support/consumer-lag';
import { config, createTopics, deleteTopics, testKafka, uniqueName } from '../support/real-stack';
import { profileSnapshotRecord } from '../support/profile-snapshot-record';
import { resolvedOrderRecord } from '../support/resolved-event-record';
import { startServiceChild, type ServiceChild } from '../support/service-child';
import type { SinkChildSettings } from '../support/sink-child';

jest.setTimeout(600_000);
const EVENTS = Number(process.env.CDP_CHAOS_SINK_EVENTS ?? 30_000);
const PROFILES = Number(process.env.CDP_CHAOS_SINK_PROFILES ?? 2_000);
const VERSIONS = 3;
const KILLS = Number(process.env.CDP_CHAOS_SINK_KILLS ?? 5);
const BATCHES = 10;
const kafka = testKafka();
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
const clickhouse = createClickHouse(config);
const database = `cdp_sink_chaos_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const db = sqlIdentifier(database);
const tenant = uniqueName('sinkchaos');
const T = Date.UTC(2026, 0, 5, 9);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function snapshot(profileId: string, version: number) {
  return profileSnapshotRecord({
    tenant,
    profileId,
    version,
    at: T,
    identifiers: [`email:${profileId}@example.com`],
    traits: { plan: `plan-${version}` },
  });
}

test('kill -9 while events and profiles flow: every row once after FINAL, every profile at its last version', async () => {
  const topics: SinkTopics = {
    events: uniqueName('test.sinkchaos.events'),
    profiles: uniqueName('test.sinkchaos.profiles'),
    merges: uniqueName('test.sinkchaos.merges'),
    warnings: uniqueName('test.sinkchaos.warnings'),
    deadLetters: uniqueName('test.sinkchaos.dead-letters'),
    deliveries: uniqueName('test.sinkchaos.deliveries'),
    membership: uniqueName('test.sinkchaos.membership'),
    computed: uniqueName('test.sinkchaos.computed'),
  };
  const settings: SinkChildSettings = {
    topics,
    database,
    groupId: uniqueName('test.sinkchaos.group'),
    dlq: uniqueName('test.sinkchaos.dlq'),
    sessionTimeoutMs: 6000,
  };
  const inputs = Object.values(topics);
  await createTopics(kafka, inputs, 3);
  await createTopics(kafka, [settings.dlq], 1);
  await migrate(clickhouse, database, loadMigrations());
  const producer = await createProducer(kafka, { maxRequestBytes: 1_000_000 });
  const start = () => startServiceChild('sink-child.ts', settings);
  let child: ServiceChild | undefined;
  const lagAtKills: number[] = [];
  try {
    child = start();
    await child.ready;
    const killAt = new Set(Array.from({ length: KILLS }, () => Math.floor(Math.random() * BATCHES)));
    for (let b = 0; b < BATCHES; b++) {
      const messages = [];
      for (let i = b; i < EVENTS; i += BATCHES) {
        const profileId = `p${i % PROFILES}`;
        const record = resolvedOrderRecord({ tenant, messageId: `m${i}`, profileId, at: T + i, total: i });
        messages.push({
          topic: topics.events,
          key: profileId,
          value: await codec.encodeRecord(resolvedEvents, record, topics.events),
        });
      }
      // Versions in order per profile (one key, one partition): batches 0-2 carry versions 1-3.
      if (b < VERSIONS)
        for (let p = 0; p < PROFILES; p++)
          messages.push({
            topic: topics.profiles,
            key: `p${p}`,
            value: await codec.encodeRecord(profileSnapshots, snapshot(`p${p}`, b + 1), topics.profiles),
          });
      await producer.send(messages);
      if (killAt.has(b)) {
        await sleep(50 + Math.random() * 400);
        // Records not yet committed when the process dies: the restart reads them again.
        lagAtKills.push(await consumerLag(kafka, settings.groupId, inputs));
        await child.kill();
        child = start();
        await child.ready;
      }
    }
    const deadline = Date.now() + 180_000;
    while ((await consumerLag(kafka, settings.groupId, inputs)) > 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the sink to drain');
      await sleep(500);
    }
    await child.stop();
    child = undefined;

    const where = `tenant = ${sqlString(tenant)}`;
    const [events] = await queryRows<{ rows: string; ids: string }>(
      clickhouse,
      `SELECT count() AS rows, uniqExact(message_id) AS ids FROM ${db}.events FINAL WHERE ${where}`,
    );
    const [profiles] = await queryRows<{ rows: string; last: string }>(
      clickhouse,
      `SELECT count() AS rows, countIf(version = ${VERSIONS}) AS last FROM ${db}.profiles FINAL WHERE ${where}`,
    );
    let deadLetters = 0;
    await readTopicToEnd({ kafka, topic: settings.dlq, onRecord: async () => void (deadLetters += 1) });
    expect({
      events: Number(events?.rows),
      distinctEvents: Number(events?.ids),
      profiles: Number(profiles?.rows),
      profilesAtLastVersion: Number(profiles?.last),
      deadLetters,
      killsMidWork: lagAtKills.some((lag) => lag > 0),
    }).toEqual({
      events: EVENTS,
      distinctEvents: EVENTS,
      profiles: PROFILES,
      profilesAtLastVersion: PROFILES,
      deadLetters: 0,
      killsMidWork: true,
    });
    process.stdout.write(
      `sink crash test: ${EVENTS} events, ${PROFILES * VERSIONS} snapshots, ${killAt.size} kills ` +
        `(records not yet committed at each: ${lagAtKills.join(', ')})\n`,
    );
  } finally {
    await child?.kill();
    await producer.disconnect();
    await deleteTopics(kafka, [...inputs, settings.dlq]);
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    await clickhouse.close();
  }
});
