// The whole pipeline on the real stack, isolated by unique topics, tenant and ClickHouse database:
// Segment's Node SDK -> collector -> Kafka -> identity resolver -> Kafka -> ClickHouse sink. Two
// devices of one person first resolve to two profiles; a late identify merges them, and
// events_resolved then attributes both devices' histories to the survivor without rewriting events.
import crypto from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { createLogger } from '../../../services/common/logger';
import type { RunningService } from '../../../services/common/runtime/service-definition';
import { tenantDirectory } from '../../../services/common/tenants';
import { startClickHouseSink } from '../../../services/clickhouse-sink/main';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import {
  createResolverTopics,
  dropResolverTopics,
  startTestResolver,
  type ResolverTestTopics,
} from '../../support/identity-resolver-stack';
import { config, createTopics, deleteTopics, testKafka, uniqueName, waitFor } from '../../support/real-stack';

jest.setTimeout(180_000);

const kafka = testKafka();
const run = crypto.randomBytes(5).toString('hex');
// Tenant ids allow only a-z0-9_-, so no dots here.
const tenant = `e2e-${run}`;
const writeKey = `${tenant}-write-key`;
const database = `cdp_e2e_${run}`;
const db = sqlIdentifier(database);
const sinkDlq = uniqueName('test.e2e.sink-dlq');
const clickhouse = createClickHouse(config);
const quiet = createLogger('pipeline-e2e', 'silent');

let topics: ResolverTestTopics | undefined;
let collector: RunningCollector | undefined;
let resolver: RunningService | undefined;
let sink: RunningService | undefined;

beforeAll(async () => {
  topics = await createResolverTopics(kafka, 3);
  await createTopics(kafka, [sinkDlq], 1);
  await migrate(clickhouse, database, loadMigrations());
  sink = await startClickHouseSink({ ...config, CDP_RETRY_INITIAL_MS: 20, CDP_RETRY_MAX_MS: 500 }, quiet, {
    topics: {
      events: topics.resolved,
      profiles: topics.profiles,
      merges: topics.merges,
      warnings: topics.warnings,
      deadLetters: topics.dlq,
    },
    database,
    groupId: uniqueName('test.e2e.sink'),
    dlq: sinkDlq,
    // Small batches and a short age so rows land quickly.
    limits: { maxRows: 100, maxBytes: 1024 * 1024, maxAgeMs: 100 },
  });
  resolver = await startTestResolver(topics, tenant, uniqueName('test.e2e.resolver'));
  collector = await startCollector({ ...config, CDP_COLLECTOR_PORT: 0 }, quiet, {
    topic: topics.input,
    tenants: tenantDirectory({ tenants: [{ id: tenant, writeKeys: [writeKey] }] }),
  });
});

afterAll(async () => {
  await collector?.stop();
  await resolver?.stop();
  await sink?.stop();
  await dropResolverTopics(kafka, topics);
  await deleteTopics(kafka, [sinkDlq]);
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await clickhouse.close();
});

/** Sends through the real SDK and waits until the collector acknowledged everything. */
async function send(calls: (analytics: Analytics) => void): Promise<void> {
  const analytics = new Analytics({
    writeKey,
    host: `http://127.0.0.1:${(collector as RunningCollector).port}`,
    flushAt: 20,
    flushInterval: 100,
    maxRetries: 3,
  });
  const statuses: number[] = [];
  analytics.on('http_response', (res) => statuses.push(res.status));
  calls(analytics);
  await analytics.closeAndFlush();
  expect(statuses.length).toBeGreaterThan(0);
  expect(statuses.every((s) => s === 200)).toBe(true);
}

async function rows<T>(query: string): Promise<T[]> {
  const rs = await clickhouse.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

interface ResolvedRow {
  message_id: string;
  profile_id: string;
  original_profile_id: string;
}

const resolvedEvents = () =>
  rows<ResolvedRow>(
    `SELECT message_id, profile_id, original_profile_id FROM ${db}.events_resolved WHERE tenant = ${sqlString(tenant)} ORDER BY message_id`,
  );

describe('SDK -> collector -> resolver -> sink -> ClickHouse', () => {
  it('attributes both devices to the survivor after a late identify', async () => {
    await send((a) => {
      a.page({ anonymousId: 'anon-phone', messageId: 'e2e-1', name: 'Home' });
      a.track({
        anonymousId: 'anon-phone',
        messageId: 'e2e-2',
        event: 'Product Viewed',
        properties: { sku: 's1' },
      });
      a.identify({
        anonymousId: 'anon-laptop',
        userId: 'u-ann',
        messageId: 'e2e-3',
        traits: { email: 'ann@example.com' },
      });
      a.track({ userId: 'u-ann', messageId: 'e2e-4', event: 'Order Completed', properties: { revenue: 42 } });
    });
    const before = await waitFor(
      'the first four events in ClickHouse',
      async () => {
        const r = await resolvedEvents();
        return r.length === 4 ? r : undefined;
      },
      60_000,
    );
    const profileOf = (rs: ResolvedRow[], id: string) => rs.find((r) => r.message_id === id)?.profile_id;
    const phoneProfile = profileOf(before, 'e2e-1');
    const annProfile = profileOf(before, 'e2e-3');
    expect(phoneProfile).toBeTruthy();
    expect(annProfile).toBeTruthy();
    expect(phoneProfile).not.toBe(annProfile);
    expect(profileOf(before, 'e2e-2')).toBe(phoneProfile);
    expect(profileOf(before, 'e2e-4')).toBe(annProfile);

    // The phone logs in: its anonymous profile merges into the one holding u-ann.
    await send((a) => {
      a.identify({ anonymousId: 'anon-phone', userId: 'u-ann', messageId: 'e2e-5' });
    });
    const after = await waitFor(
      'the merge in events_resolved',
      async () => {
        const r = await resolvedEvents();
        return r.length === 5 && new Set(r.map((e) => e.profile_id)).size === 1 ? r : undefined;
      },
      60_000,
    );
    expect(after.every((e) => e.profile_id === annProfile)).toBe(true);
    // Events are never rewritten: the phone's history keeps the profile it was resolved to at the time.
    expect(after.find((e) => e.message_id === 'e2e-1')?.original_profile_id).toBe(phoneProfile);

    // The loser is forwarded by profile_overrides; the survivor's latest snapshot holds both devices.
    const overrides = await rows<{ old_profile_id: string; override_profile_id: string }>(
      `SELECT old_profile_id, override_profile_id FROM ${db}.profile_overrides FINAL WHERE tenant = ${sqlString(tenant)}`,
    );
    expect(overrides).toEqual([{ old_profile_id: phoneProfile, override_profile_id: annProfile }]);
    const survivor = await rows<{ identifiers: string[] }>(
      `SELECT identifiers FROM ${db}.profiles FINAL WHERE tenant = ${sqlString(tenant)} AND profile_id = ${sqlString(annProfile ?? '')}`,
    );
    expect(survivor[0]?.identifiers).toEqual(
      expect.arrayContaining(['anonymous_id:anon-phone', 'anonymous_id:anon-laptop', 'user_id:u-ann']),
    );
  });
});
