// The one ClickHouse client factory (HTTP). Inserts use JSONEachRow; values never go into SQL text
// except through escape-sql.ts.
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../config';

export type { ClickHouseClient };

export function createClickHouse(
  config: Pick<Config, 'CDP_CLICKHOUSE_URL' | 'CDP_CLICKHOUSE_USER' | 'CDP_CLICKHOUSE_PASSWORD'>,
  database?: string,
): ClickHouseClient {
  return createClient({
    url: config.CDP_CLICKHOUSE_URL,
    username: config.CDP_CLICKHOUSE_USER,
    password: config.CDP_CLICKHOUSE_PASSWORD,
    database,
    request_timeout: 60_000,
    // Old servers (18.16) reject unknown settings, so send none by default.
    clickhouse_settings: {},
    // Failures reach callers as rejected promises; the client's own console logging would duplicate them.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

// FORMAT JSON: one text, one JSON.parse. JSONEachRow goes through the client's row stream, whose
// pipeline ends by aborting a controller (an AbortError with its stack) on every query: a third of a
// millisecond of CPU per query, more than parsing a page.
/** The rows a SELECT returns, as objects. */
export async function queryRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSON' });
  return (await rs.json<T>()).data;
}

export async function serverVersion(client: ClickHouseClient): Promise<string> {
  const rows = await queryRows<{ v: string }>(client, 'SELECT version() AS v');
  return rows[0]?.v ?? 'unknown';
}

/** Compares dotted versions: returns true when `version` >= `minimum`. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map((p) => parseInt(p, 10) || 0);
  const b = minimum.split('.').map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
