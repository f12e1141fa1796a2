// Crash test of the identity resolver (issue 10, "Outputs must survive redelivery"): a merge-heavy
// stream is published while the resolver, in a child process, is killed with SIGKILL at random
// moments and its Redis connections are killed (CLIENT KILL, by its own connection name) every
// ~0.7 s. The ClickHouse sink runs here, into a private database. Once everything is drained:
// nothing lost, nothing sent twice that is not byte-identical, and every merge everywhere.
//
// Seeded: CDP_CHAOS_SEED replays the same stream and kill moments (timing still varies); the seed is
// in the summary line. CDP_CHAOS_PEOPLE and CDP_CHAOS_KILLS size the run.
import crypto from 'node:crypto';
import type Redis from 'ioredis';
import { createSeededRandom, type SeededRandom } from '../../bench/population/seeded-random';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { createClickHouse, queryRows } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../services/common/clickhouse/migrator';
import { readTopicToEnd } from '../../services/common/kafka/read-to-end';
import { createLogger } from '../../services/common/logger';
import type { RunningService } from '../../services/common/runtime/service-definition';
import { startClickHouseSink } from '../../services/clickhouse-sink/main';
import { changeVersionProblems, readChangeLog, type StoredProfile } from '../support/change-log-checks';
import { consumerLag } from '../support/consumer-lag';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../support/identity-graph-fixtures';
import {
  createResolverTopics,
  dropResolverTopics,
  eventPublisher,
  type EventPublisher,
  type ResolverTestTopics,
} from '../support/identity-resolver-stack';
import { mergeHeavyStream, type MergeHeavyStream } from '../support/merge-heavy-stream';
import { recordCount } from '../support/raw-events';
import type { ResolverChildSettings } from '../support/resolver-child';
import { startServiceChild, type ServiceChild } from '../support/service-child';
import { config, createTopics, deleteTopics, testKafka, uniqueName, waitFor } from '../support/real-stack';

jest.setTimeout(600_000);

const PEOPLE = Number(process.env.CDP_CHAOS_PEOPLE ?? 1500);
const MIN_KILLS = Number(process.env.CDP_CHAOS_KILLS ?? 20);
const SEED = Number(process.env.CDP_CHAOS_SEED ?? crypto.randomInt(2 ** 31));
/** The broker's smallest: a killed member holds its partitions until its session runs out. */
const SESSION_TIMEOUT_MS = 6000;

const kafka = testKafka();
const run = crypto.randomBytes(4).toString('hex');
const tenant = uniqueTenant('chaos');
const database = `cdp_chaos_${run}`;
const db = sqlIdentifier(database);
const redisName = `cdp-chaos-resolver-${run}`;
const resolverGroup = uniqueName('test.chaos.resolver');
const sinkGroup = uniqueName('test.chaos.sink');
const sinkDlq = uniqueName('test.chaos.sink-dlq');
const clickhouse = createClickHouse(config);
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);

let topics: ResolverTestTopics | undefined;
let redis: Redis;
let publisher: EventPublisher | undefined;
let sink: RunningService | undefined;
let child: ServiceChild | undefined;

const begun = Date.now();
/** A few lines on stderr: a long run shows where it is (and where it hangs). */
const progress = (line: string) =>
  process.stderr.write(`resolver-kill +${((Date.now() - begun) / 1000).toFixed(0)}s: ${line}\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function joined(c: ServiceChild): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('resolver child did not join its group within 90 s')), 90_000);
  });
  try {
    await Promise.race([c.ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kills the connections named `name`, and only those: listed by CLIENT LIST, killed by id. */
async function killNamedRedisClients(client: Redis, name: string): Promise<number> {
  const list = String(await client.call('CLIENT', 'LIST'));
  let killed = 0;
  for (const line of list.split('\n')) {
    const fields = new Map(
      line
        .trim()
        .split(' ')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
    );
    const id = fields.get('id');
    if (fields.get('name') !== name || id === undefined) continue;
    // Gone already (the child died or reconnected meanwhile): nothing to kill.
    killed += Number(await client.call('CLIENT', 'KILL', 'ID', id).catch(() => 0));
  }
  return killed;
}

const rows = <T>(query: string): Promise<T[]> => queryRows<T>(clickhouse, query);

interface TopicRecord {
  key: string | null;
  value: Buffer | null;
}

async function readAll(topic: string): Promise<TopicRecord[]> {
  const records: { partition: number; offset: bigint; key: string | null; value: Buffer | null }[] = [];
  await readTopicToEnd({
    kafka,
    topic,
    onRecord: async (r) => {
      records.push({
        partition: r.partition,
        offset: BigInt(r.offset),
        key: r.key?.toString() ?? null,
        value: r.value,
      });
    },
  });
  // Log order within each partition; the checks below only need that.
  return records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
}

const decode = async (value: Buffer) => (await codec.decode(value)) as Record<string, unknown>;

/** Every profile hash of the tenant: version, and the forwarding pointer of a merged-away one. */
async function storedProfiles(): Promise<Map<string, StoredProfile>> {
  const prefix = `{t:${tenant}}:p:`;
  const stored = new Map<string, StoredProfile>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const [v, into] = await redis.hmget(key, 'v', 'into');
      stored.set(key.slice(prefix.length), { version: Number(v), mergedInto: into });
    }
  } while (cursor !== '0');
  return stored;
}

/** The live profile a profile id forwards to. */
function rootOf(stored: Map<string, StoredProfile>, profileId: string): string {
  let id = profileId;
  for (let hops = 0; hops < 1000; hops++) {
    const into = stored.get(id)?.mergedInto;
    if (!into) return id;
    id = into;
  }
  throw new Error(`forwarding cycle from ${profileId}`);
}

beforeAll(async () => {
  redis = testRedis();
  progress('creating topics and the database');
  topics = await createResolverTopics(kafka, 6);
  await createTopics(kafka, [sinkDlq], 1);
  await migrate(clickhouse, database, loadMigrations());
  publisher = await eventPublisher(kafka, topics.input);
  sink = await startClickHouseSink(
    { ...config, CDP_RETRY_INITIAL_MS: 20, CDP_RETRY_MAX_MS: 500 },
    createLogger('chaos-sink', process.env.CDP_LOG_LEVEL ?? 'silent'),
    {
      topics: {
        events: topics.resolved,
        profiles: topics.profiles,
        merges: topics.merges,
        warnings: topics.warnings,
        deadLetters: topics.dlq,
      },
      database,
      groupId: sinkGroup,
      dlq: sinkDlq,
      limits: { maxRows: 2000, maxBytes: 4 * 1024 * 1024, maxAgeMs: 200 },
    },
  );
  progress('sink started');
});

afterAll(async () => {
  await child?.kill();
  await sink?.stop();
  await publisher?.producer.disconnect();
  await dropResolverTopics(kafka, topics);
  await deleteTopics(kafka, [sinkDlq]);
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await clickhouse.close();
  await deleteTenantKeys(redis, tenant);
  await redis.quit();
});

test('SIGKILLed resolver and killed Redis connections: nothing lost, nothing sent twice, every merge everywhere', async () => {
  const resolverTopics = topics as ResolverTestTopics;
  const settings: ResolverChildSettings = {
    topics: resolverTopics,
    groupId: resolverGroup,
    tenant,
    redisName,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
  };
  const random: SeededRandom = createSeededRandom(SEED);
  // One round per resolver life (MIN_KILLS + 1 rounds), so every life has fresh merges to work on.
  const stream: MergeHeavyStream = mergeHeavyStream({
    tenant,
    run,
    people: PEOPLE,
    perRound: Math.ceil(PEOPLE / MIN_KILLS),
    random,
  });
  const accepted = new Set<string>();
  const started = Date.now();

  let kills = 0;
  let clientKills = 0;
  let chaosOver = false;

  const clientKiller = (async () => {
    const cadence = createSeededRandom(SEED + 1);
    while (!chaosOver) {
      await sleep(cadence.int(500, 900));
      if (!chaosOver) clientKills += await killNamedRedisClients(redis, redisName);
    }
  })();

  // Each life of the resolver: join, get the next round (new browsing, and logins that merge), and
  // die by SIGKILL at a random moment of its work: once its resolved output has grown by a random
  // share of the round (records it acknowledged; the next chunks are in flight), so the kill lands
  // while it works on whatever machine speed, not while it idles.
  const admin = kafka.admin();
  await admin.connect();
  const resolvedSoFar = async () =>
    (await admin.fetchTopicOffsets(resolverTopics.resolved)).reduce((n, p) => n + Number(p.high), 0);
  try {
    for (const round of stream.rounds) {
      child = startServiceChild('resolver-child.ts', settings);
      await joined(child);
      const before = await resolvedSoFar();
      await (publisher as EventPublisher).publish(round);
      for (const e of round) accepted.add(e.messageId);
      const target = random.int(1, round.length);
      const deadline = Date.now() + 15_000;
      while ((await resolvedSoFar()) - before < target && Date.now() < deadline) await sleep(20);
      await child.kill();
      kills++;
      if (kills % 5 === 0) progress(`${kills} kills, ${clientKills} Redis connections killed`);
    }
    // The last life is not SIGKILLed; its Redis connections still die until it has drained.
    child = startServiceChild('resolver-child.ts', settings);
    await joined(child);
    progress(`${kills} kills; draining`);
    // Drained: the resolver committed every raw record (it commits only after its outputs and the
    // after-send step), then the sink committed every output (only after they reached ClickHouse).
    await waitFor(
      'the resolver to drain its input',
      async () =>
        (await consumerLag(kafka, resolverGroup, [resolverTopics.input])) === 0 ? true : undefined,
      240_000,
    );
  } finally {
    chaosOver = true;
    await clientKiller;
    await admin.disconnect();
  }
  const chaosSeconds = (Date.now() - started) / 1000;
  const sinkInputs = [
    resolverTopics.resolved,
    resolverTopics.profiles,
    resolverTopics.merges,
    resolverTopics.warnings,
    resolverTopics.dlq,
  ];
  await waitFor(
    'the sink to drain the resolver outputs',
    async () => ((await consumerLag(kafka, sinkGroup, sinkInputs)) === 0 ? true : undefined),
    240_000,
  );
  child.process.kill('SIGTERM');
  expect(await child.exited).toBe(0);
  progress('drained; checking');

  // Every check collects what it found, so one run reports every kind of damage at once.
  const problems: Record<string, string[]> = {};
  const report = (check: string, found: string[]) => {
    if (found.length > 0) problems[check] = found;
  };

  // Nothing dead-lettered: every event was good.
  const deadLetters = [...(await readAll(resolverTopics.dlq)), ...(await readAll(sinkDlq))];
  report(
    'dead letters',
    deadLetters.map((r) => `${r.key}: ${r.value?.toString().slice(0, 200)}`),
  );

  const stored = await storedProfiles();
  const forwarded = [...stored].filter(([, p]) => p.mergedInto !== null);
  // Resolved records written, re-sends included (ClickHouse keeps each messageId once).
  const resolvedRecords = await recordCount(kafka, resolverTopics.resolved);

  // Change log: gap-free per profile and matching Redis; a re-sent change is byte-identical.
  const changes = await Promise.all(
    (await readAll(resolverTopics.changes)).map(async (r) => {
      const value = await decode(r.value as Buffer);
      return { profileId: String(value.profileId), version: Number(value.version), bytes: r.value as Buffer };
    }),
  );
  const changeLog = readChangeLog(changes);
  report('re-sent changes that differ from the first', changeLog.differing);
  report('change versions', changeVersionProblems(changeLog, stored));

  // Merge records: exactly the merges Redis holds (a loser forwards to its survivor).
  const merges = new Map<string, string>();
  const mergeProblems: string[] = [];
  let mergeRecords = 0;
  for (const r of await readAll(resolverTopics.merges)) {
    const value = await decode(r.value as Buffer);
    mergeRecords++;
    const [loser, survivor] = [String(value.loserId), String(value.survivorId)];
    if ((merges.get(loser) ?? survivor) !== survivor)
      mergeProblems.push(`${loser}: merged into two profiles`);
    merges.set(loser, survivor);
    if (stored.get(loser)?.mergedInto !== survivor) mergeProblems.push(`${loser}: merge record not in Redis`);
  }
  for (const [loser] of forwarded) if (!merges.has(loser)) mergeProblems.push(`${loser}: no merge record`);
  // Merge-heavy by construction: most people merge two profiles (a login handled before the same
  // person's browsing, which is on another partition, finds nothing to merge).
  if (forwarded.length <= PEOPLE / 4) mergeProblems.push(`only ${forwarded.length} merges`);
  report('merge records', mergeProblems);

  // Every merge in ClickHouse: the loser's override points at its root, its profiles row forwards.
  const overrides = new Map(
    (
      await rows<{ old_profile_id: string; override_profile_id: string }>(
        `SELECT old_profile_id, override_profile_id FROM ${db}.profile_overrides FINAL WHERE tenant = ${sqlString(tenant)}`,
      )
    ).map((o) => [o.old_profile_id, o.override_profile_id]),
  );
  const mergedInto = new Map(
    (
      await rows<{ profile_id: string; merged_into: string }>(
        `SELECT profile_id, merged_into FROM ${db}.profiles FINAL WHERE tenant = ${sqlString(tenant)} AND merged_into != ''`,
      )
    ).map((p) => [p.profile_id, p.merged_into]),
  );
  report('profile_overrides', [
    ...forwarded
      .filter(([loser]) => overrides.get(loser) !== rootOf(stored, loser))
      .map(
        ([loser]) => `${loser}: override ${overrides.get(loser) ?? 'missing'}, root ${rootOf(stored, loser)}`,
      ),
    ...[...overrides.keys()].filter((id) => !stored.get(id)?.mergedInto).map((id) => `${id}: not merged`),
  ]);
  report(
    'profiles.merged_into',
    forwarded
      .filter(([loser, p]) => mergedInto.get(loser) !== p.mergedInto)
      .map(
        ([loser, p]) => `${loser}: merged_into ${mergedInto.get(loser) ?? 'unset'}, Redis ${p.mergedInto}`,
      ),
  );

  // Events: exactly the accepted messageIds, each once.
  const events = await rows<{ message_id: string; n: string }>(
    `SELECT message_id, count() AS n FROM ${db}.events FINAL WHERE tenant = ${sqlString(tenant)} GROUP BY message_id`,
  );
  const eventIds = new Set(events.map((e) => e.message_id));
  report('events', [
    ...[...accepted].filter((id) => !eventIds.has(id)).map((id) => `${id}: missing`),
    ...[...eventIds].filter((id) => !accepted.has(id)).map((id) => `${id}: never accepted`),
    ...events.filter((e) => Number(e.n) !== 1).map((e) => `${e.message_id}: ${e.n} rows`),
    ...(accepted.size === PEOPLE * 8 ? [] : [`${accepted.size} accepted of ${PEOPLE * 8}`]),
  ]);

  // One person, one profile: every event of a person resolves to the profile holding their userId.
  const resolved = new Map(
    (
      await rows<{ message_id: string; profile_id: string }>(
        `SELECT message_id, profile_id FROM ${db}.events_resolved WHERE tenant = ${sqlString(tenant)}`,
      )
    ).map((e) => [e.message_id, e.profile_id]),
  );
  const split: string[] = [];
  for (const person of stream.people) {
    const owner = await redis.hget(`{t:${tenant}}:idx`, `user_id:${person.userId}`);
    const profiles = new Set(person.messageIds.map((id) => resolved.get(id)));
    if (owner === null || profiles.size !== 1 || !profiles.has(owner)) {
      split.push(`${person.userId}: ${[...profiles].join(', ')} (Redis: ${owner})`);
    }
  }
  report('people split over profiles in events_resolved', split);

  // Snapshot guard: the profiles topic's last record per profile is what Redis holds.
  const lastSnapshot = new Map<string, Buffer | null>();
  const profileRecords = await readAll(resolverTopics.profiles);
  for (const r of profileRecords) lastSnapshot.set(r.key as string, r.value);
  // A failing profile's records in log order (v<version> or tombstone): where to start looking.
  const historyOf = async (profileId: string) =>
    (
      await Promise.all(
        profileRecords
          .filter((r) => r.key === profileId)
          .map(async (r) => (r.value === null ? 'tombstone' : `v${String((await decode(r.value)).version)}`)),
      )
    ).join(' ');
  const snapshotProblems: string[] = [];
  for (const [profileId, profile] of stored) {
    const last = lastSnapshot.get(profileId);
    if (last === undefined) snapshotProblems.push(`${profileId}: no record`);
    else if (profile.mergedInto !== null) {
      if (last !== null)
        snapshotProblems.push(
          `${profileId}: merged away but its last record is a snapshot (records: ${await historyOf(profileId)})`,
        );
    } else if (last === null) snapshotProblems.push(`${profileId}: live but its last record is a tombstone`);
    else {
      const version = Number((await decode(last)).version);
      if (version !== profile.version)
        snapshotProblems.push(
          `${profileId}: topic v${version}, Redis v${profile.version} (records: ${await historyOf(profileId)})`,
        );
    }
  }
  report('profiles topic last record vs Redis', snapshotProblems);

  const counts = Object.entries(problems).map(([check, found]) => `${check}: ${found.length}`);
  process.stdout.write(
    `resolver-kill: seed=${SEED} people=${PEOPLE} kills=${kills} clientKills=${clientKills} ` +
      `events=${eventIds.size} resolvedRecords=${resolvedRecords} merges=${forwarded.length} ` +
      `mergeRecords=${mergeRecords} changes=${changes.length} resentChanges=${changeLog.resent} ` +
      `profiles=${stored.size - forwarded.length} chaos=${chaosSeconds.toFixed(0)}s ` +
      `total=${((Date.now() - started) / 1000).toFixed(0)}s problems={${counts.join('; ')}}\n`,
  );
  // The first few of each kind are enough to start from.
  expect(
    Object.fromEntries(Object.entries(problems).map(([check, found]) => [check, found.slice(0, 5)])),
  ).toEqual({});
  expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
  expect(clientKills).toBeGreaterThan(0);
});
