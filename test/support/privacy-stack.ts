// A private pipeline for the privacy tests: resolver test bed (its own topics), ClickHouse sink into
// a database of its own, the privacy service on topics of its own, and scanners that look at every
// store WITHOUT the privacy code (so a store it forgets is found).
import crypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, type ClickHouseClient } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../services/common/clickhouse/escape-sql';
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

/** Every key of the tenant with its whole content as text (keys and values), by SCAN. */
export async function redisDump(redis: Redis, tenant: string): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{t:${tenant}}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let content: unknown;
      if (type === 'hash') content = await redis.hgetall(key);
      else if (type === 'string') content = await redis.get(key);
      else if (type === 'set') content = await redis.smembers(key);
      else if (type === 'zset') content = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'list') content = await redis.lrange(key, 0, -1);
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
