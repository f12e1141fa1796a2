// The SQL compiler on the running ClickHouse: the same profiles and events as rows (through the
// sink's own row mappers) and as engine state (through the engine's pure code) give the same members,
// for every aggregate and operator family, including missing values, windows and instants.
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { segmentSchema } from '../../../services/common/definitions/kinds/segment';
import { compileSegment } from '../../../services/segment-engine/sql/compile-segment';
import { config } from '../../support/real-stack';
import { conditions, engineMembers, sqlCaseContext, sqlCaseRows } from '../../support/segment-sql-cases';

jest.setTimeout(60_000);
const clickhouse = createClickHouse(config);
const database = `cdp_segsql_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;

beforeAll(async () => {
  await migrate(clickhouse, database, loadMigrations());
  const db = sqlIdentifier(database);
  const { profiles, events } = sqlCaseRows();
  await clickhouse.insert({ table: `${db}.profiles`, values: profiles, format: 'JSONEachRow' });
  await clickhouse.insert({ table: `${db}.events`, values: events, format: 'JSONEachRow' });
});

afterAll(async () => {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}` });
  await clickhouse.close();
});

test.each(conditions.map((c, i) => [i, c]))(
  'condition %i: SQL members equal the engine members',
  async (_i, condition) => {
    const segment = { kind: 'segment', id: 's', condition };
    const sql = compileSegment(segmentSchema.parse(segment), sqlCaseContext(database));
    const rs = await clickhouse.query({ query: sql, format: 'JSONEachRow' });
    const rows = await rs.json<{ profile_id: string }>();
    expect(rows.map((r) => r.profile_id).sort()).toEqual(engineMembers(segment));
  },
);
