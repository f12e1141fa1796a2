// The ClickHouse eraser on a real server: requests waiting for the same table at the same time are
// erased by one mutation, each still gets its own counts (removed, follow-up 0), a table where none
// of them has rows gets no mutation, and other people's rows stay.
import crypto from 'node:crypto';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { ClickHouseEraser } from '../../../services/privacy/clickhouse-erasure';
import { personalDataTable, type SubjectKeys } from '../../../services/privacy/personal-data-tables';
import { privacyClickHouseMutations } from '../../../services/privacy/privacy-metrics';
import { config } from '../../support/real-stack';

jest.setTimeout(120_000);

const clickhouse = createClickHouse(config);
const database = `cdp_privacy_erasure_${crypto.randomBytes(4).toString('hex')}`;
const db = sqlIdentifier(database);
const tenant = 'erasure-t';

const subject = (n: number): SubjectKeys => ({
  tenant,
  profileIds: [`p${n}`, `p${n}-merged`],
  identifiers: [`email:s${n}@example.com`],
});

async function mutationsOn(table: string): Promise<number> {
  const v = (await privacyClickHouseMutations.get()).values.find((x) => x.labels.table === table);
  return v?.value ?? 0;
}

async function rowsOf(profileId: string, tenantId = tenant): Promise<number> {
  const rs = await clickhouse.query({
    query: `SELECT count() AS n FROM ${db}.identities WHERE tenant = '${tenantId}' AND profile_id = '${profileId}'`,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]?.n);
}

beforeAll(async () => {
  await migrate(clickhouse, database, loadMigrations());
  // Subject n holds n identities on its live profile and one on a merged-away one; p0 none at all.
  const rows: { tenant: string; identifier: string; profile_id: string; version: number }[] = [];
  for (let n = 1; n <= 3; n++) {
    for (let k = 0; k < n; k++)
      rows.push({ tenant, identifier: `device:s${n}-${k}`, profile_id: `p${n}`, version: 1 });
    rows.push({ tenant, identifier: `device:s${n}-old`, profile_id: `p${n}-merged`, version: 1 });
  }
  // A neighbour in the same tenant, and another tenant's profile with the same id as subject 1.
  rows.push({ tenant, identifier: 'device:neighbour', profile_id: 'p9', version: 1 });
  rows.push({ tenant: 'other-t', identifier: 'device:s1-0', profile_id: 'p1', version: 1 });
  await clickhouse.insert({ table: `${database}.identities`, values: rows, format: 'JSONEachRow' });
});

afterAll(async () => {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await clickhouse.close();
});

test('concurrent requests for one table share one mutation and each get their own counts', async () => {
  const eraser = new ClickHouseEraser(clickhouse, database, { pollMs: 50 });
  const identities = personalDataTable('identities')!;
  const deliveries = personalDataTable('deliveries')!;
  const recorded = new Map<number, number>();
  const mutations0 = await mutationsOn('identities');
  const results = await Promise.all(
    [0, 1, 2, 3].map((n) =>
      eraser.erase({
        table: identities,
        subject: subject(n),
        // Subject 3's earlier, interrupted run counted 7 before its mutation: that is what it removed.
        before: n === 3 ? 7 : undefined,
        recordBefore: async (rows) => void recorded.set(n, rows),
      }),
    ),
  );
  expect(results).toEqual([
    { table: 'identities', removed: 0, remaining: 0 },
    { table: 'identities', removed: 2, remaining: 0 },
    { table: 'identities', removed: 3, remaining: 0 },
    { table: 'identities', removed: 7, remaining: 0 },
  ]);
  // The first count is recorded for every request that had none.
  expect([...recorded].sort()).toEqual([
    [0, 0],
    [1, 2],
    [2, 3],
  ]);
  expect((await mutationsOn('identities')) - mutations0).toBe(1);
  for (const p of ['p1', 'p1-merged', 'p2', 'p3', 'p3-merged']) expect(await rowsOf(p)).toBe(0);
  expect(await rowsOf('p9')).toBe(1);
  expect(await rowsOf('p1', 'other-t')).toBe(1);

  // No rows of any subject: counted, not mutated.
  const deliveries0 = await mutationsOn('deliveries');
  const none = await Promise.all(
    [1, 2].map((n) =>
      eraser.erase({ table: deliveries, subject: subject(n), recordBefore: async () => undefined }),
    ),
  );
  expect(none).toEqual([
    { table: 'deliveries', removed: 0, remaining: 0 },
    { table: 'deliveries', removed: 0, remaining: 0 },
  ]);
  expect((await mutationsOn('deliveries')) - deliveries0).toBe(0);
});
