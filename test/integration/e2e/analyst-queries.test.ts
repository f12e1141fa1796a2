// Every query of docs/analytics.md (services/cli/demo/analyst-queries.ts) against a small known
// dataset in a database of its own: four profiles, one merged into another, one outside the 7-day
// window, and another tenant's row that must never show up.
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { toClickHouseDateTime } from '../../../services/clickhouse-sink/clickhouse-datetime';
import * as queries from '../../../services/cli/demo/analyst-queries';
import { config } from '../../support/real-stack';

const clickhouse = createClickHouse(config);
const database = `cdp_analyst_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
const tenant = 'shop';
const DAY = 86_400_000;
const now = Date.now();
const ago = (days: number, extraMs = 0) => toClickHouseDateTime(now - days * DAY + extraMs);

let seq = 0;
function event(
  profileId: string,
  event: string,
  at: string,
  properties: Record<string, unknown> = {},
  t = tenant,
) {
  return {
    tenant: t,
    message_id: `m-${seq++}`,
    type: event === '' ? 'page' : 'track',
    event,
    name: event === '' ? 'Home' : '',
    user_id: '',
    anonymous_id: `anon-${profileId}`,
    previous_id: '',
    group_id: '',
    profile_id: profileId,
    timestamp: at,
    received_at: at,
    resolved_at: at,
    properties: JSON.stringify(properties),
    traits: '',
    context: '{}',
    prop_keys: Object.keys(properties),
    prop_values: Object.values(properties).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
  };
}

function profile(id: string, version: number, traits: Record<string, unknown>, mergedInto = '') {
  return {
    tenant,
    profile_id: id,
    version,
    traits: JSON.stringify(traits),
    identifiers: [],
    first_seen: ago(30),
    last_seen: ago(1),
    updated_at: ago(1),
    is_deleted: 0,
    merged_into: mergedInto,
  };
}

async function insert(table: string, values: Record<string, unknown>[]): Promise<void> {
  await clickhouse.insert({ table: `${sqlIdentifier(database)}.${table}`, values, format: 'JSONEachRow' });
}

async function run(sql: string, extra: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  const rs = await clickhouse.query({
    query: queries.bindQuery(sql, { db: database, tenant, ...extra }),
    format: 'JSONEachRow',
  });
  // 64-bit integers arrive as strings; numbers make the expectations readable.
  return (await rs.json<Record<string, unknown>>()).map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v]),
    ),
  );
}

beforeAll(async () => {
  await migrate(clickhouse, database, loadMigrations());
  await insert('events', [
    // P1: view, add, order (100), a page view 1 day ago.
    event('P1', 'Product Viewed', ago(6)),
    event('P1', 'Product Added', ago(5)),
    event('P1', 'Order Completed', ago(5, 3_600_000), { revenue: 100, currency: 'EUR' }),
    event('P1', '', ago(1)),
    // P2 was merged into P1: its history counts for P1.
    event('P2', 'Product Viewed', ago(3)),
    event('P2', 'Order Completed', ago(3, 60_000), { revenue: 50 }),
    // P3 browses only.
    event('P3', 'Product Viewed', ago(6)),
    event('P3', 'Product Viewed', ago(2)),
    // P4 bought a month ago: outside every 7-day window, still in revenue and the funnel.
    event('P4', 'Product Viewed', ago(30)),
    event('P4', 'Order Completed', ago(30, 60_000), { revenue: 500 }),
    event('X1', 'Product Viewed', ago(1), {}, 'other-tenant'),
  ]);
  await insert('profiles', [
    profile('P1', 1, { plan: 'free', email: 'ann@example.com' }),
    profile('P1', 3, { plan: 'vip', email: 'Ann@Example.com' }),
    profile('P2', 2, { plan: 'vip' }, 'P1'),
    profile('P3', 1, { plan: 'free', email: 'bob@example.com' }),
    profile('P4', 1, { plan: 'vip', email: 'dan@example.com' }),
  ]);
  await insert('identities', [
    // Written before the merge: the override must lead the lookup on to P1.
    { tenant, identifier: 'email:ann@example.com', profile_id: 'P2', version: 2 },
    { tenant, identifier: 'email:bob@example.com', profile_id: 'P3', version: 1 },
  ]);
  await insert('profile_overrides', [
    { tenant, old_profile_id: 'P2', override_profile_id: 'P1', version: 3, merged_at: ago(3) },
  ]);
});

afterAll(async () => {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}` });
  await clickhouse.close();
});

describe('analyst queries on ClickHouse', () => {
  it('counts active profiles of the last 7 days, merged ones once', async () => {
    expect(await run(queries.ACTIVE_PROFILES_7D)).toEqual([{ active_profiles: 2 }]);
  });

  it('ranks the track events of the last 7 days', async () => {
    expect(await run(queries.TOP_EVENTS_7D)).toEqual([
      { event: 'Product Viewed', events: 4, profiles: 2 },
      { event: 'Order Completed', events: 2, profiles: 1 },
      { event: 'Product Added', events: 1, profiles: 1 },
    ]);
  });

  it('sums revenue per survivor profile with its email', async () => {
    expect(await run(queries.REVENUE_PER_PROFILE_TOP5)).toEqual([
      { profile_id: 'P4', email: 'dan@example.com', orders: 1, revenue: 500 },
      { profile_id: 'P1', email: 'Ann@Example.com', orders: 2, revenue: 150 },
    ]);
  });

  it('shows how far profiles got in the view -> add -> order funnel', async () => {
    expect(await run(queries.FUNNEL_VIEW_ADD_ORDER)).toEqual([
      { level: 1, profiles: 2 },
      { level: 3, profiles: 1 },
    ]);
  });

  it('measures retention of the profiles active 6 days ago', async () => {
    expect(await run(queries.RETENTION_FROM_6_DAYS_AGO)).toEqual([
      { day_0: 2, day_1: 1, day_3: 1, day_5: 1 },
    ]);
  });

  it('ranks the events of a trait cohort using the latest profile snapshots', async () => {
    expect(await run(queries.TOP_EVENTS_FOR_PLAN_COHORT, { plan: 'vip' })).toEqual([
      { event: 'Order Completed', events: 3, profiles: 2 },
      { event: 'Product Viewed', events: 3, profiles: 2 },
      { event: 'Product Added', events: 1, profiles: 1 },
    ]);
  });

  it('finds the live profile of an email, following merges', async () => {
    const [ann] = await run(queries.PROFILE_BY_EMAIL, { email: 'Ann@Example.com' });
    expect(ann).toMatchObject({ profile_id: 'P1', version: 3 });
    expect(await run(queries.PROFILE_BY_EMAIL, { email: 'bob@example.com' })).toHaveLength(1);
    expect(await run(queries.PROFILE_BY_EMAIL, { email: 'nobody@example.com' })).toEqual([]);
  });
});
