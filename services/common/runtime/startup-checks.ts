// Checks a service runs before it takes work: a stack without topics or migrations fails at start-up
// with one line saying which command fixes it, instead of answering every event with a timeout.
import type { ClickHouseClient } from '../clickhouse/clickhouse-client';
import { serverVersion, versionAtLeast } from '../clickhouse/clickhouse-client';
import { sqlIdentifier } from '../clickhouse/escape-sql';
import { loadMigrations } from '../clickhouse/migrator';
import type { Kafka } from '../kafka/kafka-client';

/** A precondition of the stack is missing; the message is one line naming the fix. */
export class StartupCheckError extends Error {
  override name = 'StartupCheckError';
}

export async function requireTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      throw new StartupCheckError(
        `missing Kafka topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: run 'cdp topics apply' first`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

function serverCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Older servers' error text is not parsed into a code by the client, so read it from the text.
  return /^Code: (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
}

/** Every migration the server can run must be recorded in the database's schema_migrations. */
export async function requireMigrations(client: ClickHouseClient, database: string): Promise<void> {
  const db = sqlIdentifier(database);
  let applied: Set<number>;
  let version: string;
  try {
    const rs = await client.query({
      query: `SELECT version FROM ${db}.schema_migrations FINAL`,
      format: 'JSONEachRow',
    });
    applied = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)));
    version = await serverVersion(client);
  } catch (err) {
    // 81: unknown database, 60: unknown table. Anything else (server down) is not ours to explain.
    if (serverCode(err) === '81' || serverCode(err) === '60') {
      throw new StartupCheckError(
        `ClickHouse database ${database} lacks its migrations: run 'cdp migrate' first`,
      );
    }
    throw err;
  }
  const pending = loadMigrations().filter(
    (m) => !applied.has(m.version) && (!m.minServerVersion || versionAtLeast(version, m.minServerVersion)),
  );
  if (pending.length > 0) {
    throw new StartupCheckError(
      `ClickHouse database ${database} lacks ${pending.length} migration${pending.length > 1 ? 's' : ''} (first: ${pending[0]!.version}_${pending[0]!.name}): run 'cdp migrate' first`,
    );
  }
}
