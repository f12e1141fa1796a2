// The privacy service's subject look-ups on a real ClickHouse: look-ups made at the same time share
// one query per table and tenant, and each still gets exactly its own profile's rows (another
// tenant's profile with the same id included in the same batch stays apart).
import crypto from 'node:crypto';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { privacyClickHouseQueries } from '../../../services/privacy/privacy-metrics';
import { SubjectLookups } from '../../../services/privacy/subject-lookups';
import { config } from '../../support/real-stack';

const clickhouse = createClickHouse(config);
const database = `cdp_privacy_lookups_${crypto.randomBytes(4).toString('hex')}`;

async function lookups(): Promise<number> {
  const v = (await privacyClickHouseQueries.get()).values.find((x) => x.labels.kind === 'lookup');
  return v?.value ?? 0;
}

beforeAll(async () => {
  await migrate(clickhouse, database, loadMigrations());
  const insert = (table: string, values: Record<string, unknown>[]) =>
    clickhouse.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
  await insert('identities', [
    { tenant: 'ta', identifier: 'email:a@x.io', profile_id: 'p1', version: 1 },
    { tenant: 'ta', identifier: 'phone:+1', profile_id: 'p1', version: 1 },
    { tenant: 'ta', identifier: 'device:d2', profile_id: 'p2', version: 1 },
    { tenant: 'ta', identifier: 'device:other', profile_id: 'p9', version: 1 },
    { tenant: 'tb', identifier: 'email:b@x.io', profile_id: 'p1', version: 1 },
  ]);
  await insert('profiles', [
    { tenant: 'ta', profile_id: 'p1', version: 3, identifiers: ['email:a@x.io', 'user_id:u1'] },
    { tenant: 'tb', profile_id: 'p1', version: 1, identifiers: ['email:b@x.io'] },
  ]);
  await insert('profile_overrides', [
    { tenant: 'ta', old_profile_id: 'p2', override_profile_id: 'p1', version: 2 },
    { tenant: 'ta', old_profile_id: 'p3', override_profile_id: 'p1', version: 3 },
    { tenant: 'tb', old_profile_id: 'p7', override_profile_id: 'p1', version: 1 },
  ]);
});

afterAll(async () => {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}` });
  await clickhouse.close();
});

test('look-ups made together share a query per table and tenant, each with its own rows', async () => {
  const subjects = new SubjectLookups(clickhouse, database, { waitMs: 20 });
  const before = await lookups();
  const [mergedA, mergedB, nothing, ...held] = await Promise.all([
    subjects.mergedInto('ta', 'p1'),
    subjects.mergedInto('tb', 'p1'),
    subjects.mergedInto('ta', 'p9'),
    subjects.identifiersOf('ta', ['p1', 'p2']),
    subjects.identifiersOf('tb', ['p1']),
    subjects.identifiersOf('ta', ['p9']),
    ...Array.from({ length: 10 }, () => subjects.identifiersOf('ta', ['p1'])),
  ]);
  expect(mergedA.sort()).toEqual(['p2', 'p3']);
  expect(mergedB).toEqual(['p7']);
  expect(nothing).toEqual([]);
  expect(held[0]!.sort()).toEqual(['device:d2', 'email:a@x.io', 'email:a@x.io', 'phone:+1', 'user_id:u1']);
  expect(held[1]!.sort()).toEqual(['email:b@x.io', 'email:b@x.io']);
  expect(held[2]).toEqual(['device:other']);
  for (const h of held.slice(3))
    expect(h.sort()).toEqual(['email:a@x.io', 'email:a@x.io', 'phone:+1', 'user_id:u1']);
  // Overrides: one query per tenant (2); identities and profiles: one each per tenant (4).
  expect((await lookups()) - before).toBe(6);
});

test('nothing is cached: a later look-up sees rows written since', async () => {
  const subjects = new SubjectLookups(clickhouse, database, { waitMs: 1 });
  expect(await subjects.identifiersOf('ta', ['p4'])).toEqual([]);
  await clickhouse.insert({
    table: `${database}.identities`,
    values: [{ tenant: 'ta', identifier: 'device:d4', profile_id: 'p4', version: 1 }],
    format: 'JSONEachRow',
  });
  expect(await subjects.identifiersOf('ta', ['p4'])).toEqual(['device:d4']);
});
