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
