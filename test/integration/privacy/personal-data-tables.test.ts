// Every table of a freshly migrated database is either a registered personal-data table or declared
// free of personal data: a new table (segments, consent, deliveries, journeys...) fails here until
// it is added to services/privacy/personal-data-tables.ts. Each registered condition is valid SQL.
import crypto from 'node:crypto';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import {
  PERSONAL_DATA_TABLES,
  TABLES_WITHOUT_PERSONAL_DATA,
  whereAnySubject,
} from '../../../services/privacy/personal-data-tables';
import { config } from '../../support/real-stack';

const clickhouse = createClickHouse(config);
const database = `cdp_privacy_tables_${crypto.randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  await migrate(clickhouse, database, loadMigrations());
});

afterAll(async () => {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}` });
  await clickhouse.close();
});

test('every table is registered as holding personal data or declared free of it', async () => {
  const tables = await (
    await clickhouse.query({
      query: `SELECT name FROM system.tables WHERE database = '${database}'`,
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>();
  const registered = new Set(PERSONAL_DATA_TABLES.map((t) => t.table));
  const unclassified = tables
    .map((t) => t.name)
    .filter((n) => !registered.has(n) && !(n in TABLES_WITHOUT_PERSONAL_DATA));
  expect(unclassified).toEqual([]);
  // Nothing registered that does not exist (a renamed table would silently escape deletion).
  const names = new Set(tables.map((t) => t.name));
  expect([...registered, ...Object.keys(TABLES_WITHOUT_PERSONAL_DATA)].filter((n) => !names.has(n))).toEqual(
    [],
  );
});

test.each(PERSONAL_DATA_TABLES.map((t) => [t.table, t] as const))(
  'the condition of %s runs',
  async (_name, table) => {
    const subject = { tenant: 't', profileIds: ["p'1", 'p2'], identifiers: ['email:a@b.c'] };
    const rs = await clickhouse.query({
      query: `SELECT count() AS n FROM ${sqlIdentifier(database)}.${sqlIdentifier(table.table)} WHERE ${table.where(subject)}`,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ n: '0' }]);
  },
);

// The eraser counts and deletes a batch of subjects with one condition over the union of their
// keys (whereAnySubject): on every table it must select exactly the rows of any of them. Rows of
// every combination of the columns the condition reads, from values of several subjects and tenants.
describe('one condition for several subjects selects the rows of any of them', () => {
  const s1 = { tenant: 'ta', profileIds: ['p1', 'p2'], identifiers: ['email:a@x.io'] };
  const s2 = { tenant: 'ta', profileIds: ['p3'], identifiers: ['email:a@x.io', 'phone:+100'] };
  const s3 = { tenant: 'tb', profileIds: ['p1'], identifiers: ['phone:+100'] };
  const keys = [s1, s2, s3].flatMap((s) =>
    [...s.identifiers.map((i) => `${s.tenant}:${i}`), ...s.profileIds].map((k) =>
      Buffer.from(k).toString('base64'),
    ),
  );
  const values = ['', 'p1', 'p2', 'p3', 'p4', 'email:a@x.io', 'phone:+100', 'email:z@x.io', ...keys];

  function grid(columns: readonly string[]): Record<string, string>[] {
    let rows: Record<string, string>[] = [{}];
    for (const column of columns) {
      const pool = column === 'tenant' ? ['ta', 'tb', 'tc'] : values;
      rows = rows.flatMap((row) => pool.map((v) => ({ ...row, [column]: v })));
    }
    return rows;
  }

  async function count(table: string, condition: string): Promise<number> {
    const rs = await clickhouse.query({
      query: `SELECT count() AS n FROM ${sqlIdentifier(database)}.${sqlIdentifier(table)} WHERE ${condition}`,
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: string }>())[0]?.n);
  }

  test.each(PERSONAL_DATA_TABLES.map((t) => [t.table, t] as const))('%s', async (_name, table) => {
    await clickhouse.insert({
      table: `${database}.${table.table}`,
      values: grid(table.columns),
      format: 'JSONEachRow',
    });
    for (const subjects of [[s1, s2], [s1, s2, s3], [s2, s3], [s1]]) {
      const separately = await count(table.table, subjects.map((s) => `(${table.where(s)})`).join(' OR '));
      expect(separately).toBeGreaterThan(0);
      expect([subjects.length, await count(table.table, whereAnySubject(table, subjects))]).toEqual([
        subjects.length,
        separately,
      ]);
    }
  });
});
