// Migrations against the real ClickHouse: applied once, recorded, and a second run is a no-op.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { config } from '../../support/real-stack';

describe('ClickHouse migrator', () => {
  const client = createClickHouse(config);
  const database = `cdp_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-migrations-'));

  beforeAll(() => {
    fs.writeFileSync(
      path.join(dir, '0001_create_things.sql'),
      "-- a table and a row\nCREATE TABLE IF NOT EXISTS {db}.things (id UInt32, name String) ENGINE = MergeTree ORDER BY id;\nINSERT INTO {db}.things VALUES (1, 'one');\n",
    );
    fs.writeFileSync(
      path.join(dir, '0002_future.sql'),
      '-- @min-version 999.1\nCREATE TABLE {db}.never (x UInt8) ENGINE = Memory;\n',
    );
  });
  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}` });
    await client.close();
  });

  async function count(table: string): Promise<number> {
    const rs = await client.query({
      query: `SELECT count() AS c FROM ${sqlIdentifier(database)}.${table}`,
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ c: string }>())[0]?.c);
  }

  it('applies once, records it, skips what the server cannot run, and is a no-op the second time', async () => {
    const first = await migrate(client, database, loadMigrations(dir));
    expect(first.map((r) => r.status)).toEqual(['applied', 'skipped-server-too-old']);
    expect(await count('things')).toBe(1);

    const second = await migrate(client, database, loadMigrations(dir));
    expect(second.map((r) => r.status)).toEqual(['already-applied', 'skipped-server-too-old']);
    expect(await count('things')).toBe(1);
    expect(await count('schema_migrations')).toBe(1);
  });

  it('refuses a migration edited after it was applied', async () => {
    fs.appendFileSync(path.join(dir, '0001_create_things.sql'), '-- edited\n');
    await expect(migrate(client, database, loadMigrations(dir))).rejects.toThrow(
      /changed after it was applied/,
    );
  });

  it('replaces the events_resolved view of an install that applied the retired 0008', async () => {
    const upgraded = `${database}_upgrade`;
    const db = sqlIdentifier(upgraded);
    try {
      const all = loadMigrations();
      await migrate(
        client,
        upgraded,
        all.filter((m) => m.version < 8),
      );
      // Stands in for what 0008 created (un-aliased joined subqueries, refused by ClickHouse >= 20).
      await client.command({ query: `CREATE VIEW ${db}.events_resolved AS SELECT 1 AS old` });
      const results = await migrate(client, upgraded, all);
      expect(results.find((r) => r.name === 'events_resolved_aliased')?.status).toBe('applied');
      const rs = await client.query({
        query: `SELECT profile_id, original_profile_id FROM ${db}.events_resolved`,
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([]);
    } finally {
      await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
    }
  });
});
