// A private pipeline for the privacy tests: resolver test bed (its own topics), ClickHouse sink into
// a database of its own, the privacy service on topics of its own, and scanners that look at every
// store WITHOUT the privacy code (so a store it forgets is found).
import crypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, type ClickHouseClient } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../services/common/clickhouse/migrator';
import type { Kafka } from '../../services/common/kafka/kafka-client';
import { createLogger } from '../../services/common/logger';
import { createRedis, type Redis } from '../../services/common/redis/redis-client';
import type { RunningService } from '../../services/common/runtime/service-definition';
import { privacyReceipts, type PrivacyReceiptRecord } from '../../services/common/streams/privacy-receipts';
import {
  privacyRequests,
  type PrivacyAction,
  type PrivacyRequestRecord,
} from '../../services/common/streams/privacy-requests';
import { tenantDirectory } from '../../services/common/tenants';
import { startClickHouseSink } from '../../services/clickhouse-sink/main';
import { IdentityGraph } from '../../services/identity-resolver/identity-graph';
import type { ProfileSnapshot as Profile } from '../../services/identity-resolver/identity-outcome';
import { privacyService, type PrivacyOptions } from '../../services/privacy/main';
import { startResolverTestBed, type ResolverTestBed } from './identity-resolver-stack';
import { startTestProcessor, type TestProcessor } from './processor-harness';
import { config, createTopics, deleteTopics, readTopic, uniqueName, waitFor } from './real-stack';

export interface PrivacyStack {
  kafka: Kafka;
  tenant: string;
  database: string;
  bed: ResolverTestBed;
  sink: RunningService;
  privacy: TestProcessor<'requests', 'receipts'>;
  clickhouse: ClickHouseClient;
  redis: Redis;
  options: PrivacyOptions;
  /** The privacy service's (and an activation's) definitions topic, private to the stack. */
  definitionsTopic: string;
  /** Delivery decisions the sink writes into `deliveries` (an activation's output in a test). */
  deliveriesTopic: string;
  close(): Promise<void>;
}

export function privacyOptions(
  tenant: string,
  database: string,
  bed: ResolverTestBed,
  definitionsTopic: string,
): PrivacyOptions {
  const { input, resolved, changes, merges, warnings, dlq, profiles } = bed.topics;
  return {
    tenants: tenantDirectory({
      tenants: [
        { id: tenant, writeKeys: [`${tenant}-write-key`] },
        // A second tenant, to show that a request of one finds nothing of the other.
        { id: `${tenant}-other`, writeKeys: [`${tenant}-other-write-key`] },
      ],
    }),
    database,
    profilesTopic: profiles,
    retainedTopics: [input, resolved, changes, merges, warnings, dlq],
    exportDir: mkdtempSync(path.join(os.tmpdir(), 'cdp-privacy-export-')),
    definitionsTopic,
    // A destination that keeps failing costs the test milliseconds, not seconds.
    destinationRetry: { attempts: 3, backoff: { initialMs: 20, maxMs: 100 } },
  };
}

export async function startPrivacyStack(
  kafka: Kafka,
  name: string,
  withPrivacy = true,
): Promise<PrivacyStack> {
  const run = crypto.randomBytes(4).toString('hex');
  const tenant = `priv-${name}-${run}`;
  const database = `cdp_privacy_${name.replace(/-/g, '_')}_${run}`;
  const clickhouse = createClickHouse(config);
  await migrate(clickhouse, database, loadMigrations());
  const bed = await startResolverTestBed(kafka, tenant, `privacy-${name}`);
  const sinkDlq = uniqueName('test.privacy.sink-dlq');
  const definitionsTopic = uniqueName('test.privacy.definitions');
  const deliveriesTopic = uniqueName('test.privacy.deliveries');
  const own = [sinkDlq, definitionsTopic, deliveriesTopic];
  await createTopics(kafka, own, 1);
  const quiet = createLogger('privacy-test', process.env.CDP_LOG_LEVEL ?? 'silent');
  const sink = await startClickHouseSink(
    { ...config, CDP_RETRY_INITIAL_MS: 20, CDP_RETRY_MAX_MS: 500 },
    quiet,
    {
      topics: {
        events: bed.topics.resolved,
        profiles: bed.topics.profiles,
        merges: bed.topics.merges,
        warnings: bed.topics.warnings,
        deadLetters: bed.topics.dlq,
        deliveries: deliveriesTopic,
      },
      database,
      groupId: uniqueName('test.privacy.sink'),
      dlq: sinkDlq,
      limits: { maxRows: 500, maxBytes: 1024 * 1024, maxAgeMs: 100 },
    },
  );
  const options = privacyOptions(tenant, database, bed, definitionsTopic);
  const privacy = withPrivacy
    ? await startTestProcessor(kafka, privacyService, { options, inputPartitions: 1 })
    : (undefined as unknown as TestProcessor<'requests', 'receipts'>);
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-privacy-test');
  return {
    kafka,
    tenant,
    database,
    bed,
    sink,
    privacy,
    clickhouse,
    redis,
    options,
    definitionsTopic,
    deliveriesTopic,
    close: async () => {
      if (withPrivacy) await privacy.stop();
      await sink.stop();
      await bed.close();
      await deleteTopics(kafka, own);
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}` });
      await clickhouse.close();
      await redis.quit();
    },
  };
}

export function privacyRequest(
  tenant: string,
  action: PrivacyAction,
  identifier: string,
): PrivacyRequestRecord {
  return {
    requestId: crypto.randomUUID(),
    tenant,
    action,
    identifier,
    profileId: null,
    requestedBy: 'test',
    requestedAt: Date.now(),
  };
}

export async function sendRequest(
  stack: PrivacyStack,
  request: PrivacyRequestRecord,
  topic?: string,
): Promise<void> {
  const target = topic ?? stack.privacy.topics.inputs.requests;
  const value = await stack.bed.publisher.codec.encodeRecord(privacyRequests, request, target);
  await stack.bed.publisher.producer.send([{ topic: target, key: privacyRequests.key(request), value }]);
}

/** Every receipt on the topic (read until `atLeast` arrived). */
export async function receiptsOn(
  stack: PrivacyStack,
  topic: string,
  atLeast: number,
  timeoutMs = 120_000,
): Promise<PrivacyReceiptRecord[]> {
  const records = await readTopic(stack.kafka, topic, atLeast, timeoutMs);
  return Promise.all(
    records
      .filter((r) => r.value !== null)
      .map((r) => stack.bed.publisher.codec.decodeRecord(privacyReceipts, r.value)),
  );
}

export async function receiptFor(
  stack: PrivacyStack,
  requestId: string,
  topic = stack.privacy.topics.outputs.receipts,
): Promise<PrivacyReceiptRecord> {
  return waitFor(
    `receipt of ${requestId}`,
    async () => {
      const all = await receiptsOn(stack, topic, Number.MAX_SAFE_INTEGER, 1000);
      return all.find((r) => r.requestId === requestId);
    },
    180_000,
  );
}

/**
 * Every key whose name contains the tenant, whatever its layout (the graph's `{t:<tenant>}`,
 * activation's `{a:<tenant>:<destination>}`, anything added later), with its whole content as text.
 */
export async function redisDump(redis: Redis, tenant: string): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${tenant}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let content: unknown;
      if (type === 'hash') content = await redis.hgetall(key);
      else if (type === 'string') content = await redis.get(key);
      else if (type === 'set') content = await redis.smembers(key);
      else if (type === 'zset') content = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'list') content = await redis.lrange(key, 0, -1);
      else if (type === 'stream') content = await redis.xrange(key, '-', '+');
      else content = `(${type})`;
      dump.set(key, `${key} ${JSON.stringify(content)}`);
    }
  } while (cursor !== '0');
  return dump;
}

/** Every row of every table of the database as text; base64 columns decoded (dead letters). */
export async function clickhouseRows(
  clickhouse: ClickHouseClient,
  database: string,
): Promise<{ tables: string[]; rows: { table: string; text: string }[] }> {
  const tables = await (
    await clickhouse.query({
      query: `SELECT name FROM system.tables WHERE database = '${database}' AND engine NOT LIKE '%View'`,
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>();
  const out: { table: string; text: string }[] = [];
  for (const { name } of tables) {
    const rows = await (
      await clickhouse.query({
        query: `SELECT * FROM ${sqlIdentifier(database)}.${sqlIdentifier(name)}`,
        format: 'JSONEachRow',
      })
    ).json<Record<string, unknown>>();
    for (const row of rows) {
      const decoded = Object.entries(row)
        .filter(([k, v]) => k.endsWith('_base64') && typeof v === 'string')
        .map(([, v]) => Buffer.from(v as string, 'base64').toString('latin1'));
      out.push({ table: name, text: [JSON.stringify(row), ...decoded].join(' ') });
    }
  }
  return { tables: tables.map((t) => t.name), rows: out };
}

export interface Household {
  ann: Profile;
  bob: Profile;
  /** Ann's live profile id and every id merged into it. */
  annIds: string[];
}

/**
 * Ann browses anonymously on a phone and a laptop, logs in on both (two profiles merged into one),
 * and buys; Bob, her neighbour, sends the same household email under his own user id (never
 * merged with her). A dead letter keyed by Ann's user id. Resolves once all of it is in ClickHouse.
 */
export async function seedHousehold(stack: PrivacyStack): Promise<Household> {
  const { tenant, database } = stack;
  const db = sqlIdentifier(database);
  const t0 = Date.now() - 60_000;
  const at = (s: number) => new Date(t0 + s * 1000).toISOString();
  const ev = (id: string, fields: Record<string, unknown>) => ({ messageId: id, tenant, ...fields }) as never;
  await stack.bed.publisher.publish([
    ev('ann-1', { type: 'track', event: 'Viewed', anonymousId: 'ann-phone', timestamp: at(1) }),
    ev('ann-2', { type: 'track', event: 'Viewed', anonymousId: 'ann-laptop', timestamp: at(2) }),
    ev('ann-3', {
      type: 'identify',
      anonymousId: 'ann-phone',
      userId: 'u-ann',
      traits: { email: 'home@family.example', name: 'Ann' },
      timestamp: at(3),
    }),
    // Login on the second device: its anonymous profile merges into Ann's.
    ev('ann-4', { type: 'identify', anonymousId: 'ann-laptop', userId: 'u-ann', timestamp: at(4) }),
    ev('ann-5', { type: 'track', event: 'Bought', userId: 'u-ann', timestamp: at(5) }),
  ]);
  // Ann signed up with the household email first. Her events and Bob's are on other partitions, so
  // the resolver may apply them in either order: wait until the email is hers before Bob arrives.
  const graph = new IdentityGraph(stack.redis);
  await waitFor("Ann's identify applied", async () =>
    (await graph.getProfileByIdentifier(tenant, 'user_id:u-ann'))?.identifiers.includes(
      'email:home@family.example',
    )
      ? true
      : undefined,
  );
  await stack.bed.publisher.publish([
    // The neighbour shares the household email but is another user: never merged with Ann.
    ev('bob-1', {
      type: 'identify',
      userId: 'u-bob',
      anonymousId: 'bob-phone',
      traits: { email: 'home@family.example', name: 'Bob' },
      timestamp: at(6),
    }),
    ev('bob-2', { type: 'track', event: 'Viewed', userId: 'u-bob', timestamp: at(7) }),
  ]);
  // A dead letter keyed by Ann's user id (bytes the resolver cannot decode).
  await stack.bed.publisher.producer.send([
    { topic: stack.bed.topics.input, key: `${tenant}:user_id:u-ann`, value: Buffer.from('not avro: u-ann') },
  ]);
  const count = async (sql: string) => {
    const rows = await (
      await stack.clickhouse.query({ query: sql, format: 'JSONEachRow' })
    ).json<{ n: string }>();
    return Number(rows[0]?.n ?? 0);
  };
  await waitFor('all events in ClickHouse', async () =>
    (await count(`SELECT count() AS n FROM ${db}.events WHERE tenant = ${sqlString(tenant)}`)) === 7 &&
    (await count(`SELECT count() AS n FROM ${db}.dead_letters`)) === 1 &&
    (await count(`SELECT count() AS n FROM ${db}.profile_overrides`)) >= 1
      ? true
      : undefined,
  );
  const ann = await graph.getProfileByIdentifier(tenant, 'user_id:u-ann');
  const bob = await graph.getProfileByIdentifier(tenant, 'user_id:u-bob');
  if (ann === null || bob === null) throw new Error('the household did not resolve into two profiles');
  return { ann, bob, annIds: [ann.profileId, ...ann.mergedFrom] };
}
