// Applies infra/clickhouse migrations in order and records them, so a second run is a no-op.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../config';
import { serverVersion, versionAtLeast, type ClickHouseClient } from './clickhouse-client';
import { sqlIdentifier, sqlLiteral } from './escape-sql';
import { bindDatabase, parseMigration, sortMigrations, type Migration } from './migration-files';

export const MIGRATIONS_DIR = path.join(repoRoot, 'infra', 'clickhouse');

export interface MigrationResult {
  version: number;
  name: string;
  status: 'applied' | 'already-applied' | 'skipped-server-too-old';
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  if (!fs.existsSync(dir)) return [];
  return sortMigrations(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => parseMigration(f, fs.readFileSync(path.join(dir, f), 'utf8'))),
  );
}

export async function migrate(
  client: ClickHouseClient,
  database: string,
  migrations: Migration[],
  onProgress: (line: string) => void = () => undefined,
): Promise<MigrationResult[]> {
  const db = sqlIdentifier(database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, checksum String, applied_at DateTime) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rs = await client.query({
    query: `SELECT version, checksum FROM ${db}.schema_migrations FINAL`,
    format: 'JSONEachRow',
  });
  const applied = new Map(
    (await rs.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]),
  );
  const version = await serverVersion(client);
  const results: MigrationResult[] = [];

  for (const m of migrations) {
    const recorded = applied.get(m.version);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) {
        throw new Error(
          `migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`,
        );
      }
      results.push({ version: m.version, name: m.name, status: 'already-applied' });
      continue;
    }
    if (m.minServerVersion && !versionAtLeast(version, m.minServerVersion)) {
      onProgress(
        `skipped  ${m.version}_${m.name} (needs ClickHouse >= ${m.minServerVersion}, server is ${version})`,
      );
      results.push({ version: m.version, name: m.name, status: 'skipped-server-too-old' });
      continue;
    }
    for (const statement of m.statements) {
      try {
        await client.command({ query: bindDatabase(statement, db) });
      } catch (err) {
        throw new Error(
          `migration ${m.version}_${m.name} failed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    }
    await client.command({
      query: `INSERT INTO ${db}.schema_migrations (version, name, checksum, applied_at) VALUES (${m.version}, ${sqlLiteral(m.name)}, ${sqlLiteral(m.checksum)}, now())`,
    });
    onProgress(`applied  ${m.version}_${m.name}`);
    results.push({ version: m.version, name: m.name, status: 'applied' });
  }
  return results;
}
