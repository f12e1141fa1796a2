// Reads the current (FINAL) profile_overrides so a merge can keep the table flat. Values reach the
// SQL text only through escape-sql.ts (18.16 has no query parameters).
import type { ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../common/clickhouse/escape-sql';

export interface OverrideLookup {
  /** Profiles whose override currently targets `profileId`. */
  descendantsOf(tenant: string, profileId: string): Promise<string[]>;
  /** Where `profileId` forwards to, when it was itself merged away. */
  targetOf(tenant: string, profileId: string): Promise<string | undefined>;
}

export function clickHouseOverrideLookup(client: ClickHouseClient, database: string): OverrideLookup {
  const table = `${sqlIdentifier(database)}.profile_overrides`;
  async function column(query: string): Promise<string[]> {
    const rs = await client.query({ query, format: 'JSONEachRow' });
    return (await rs.json<{ v: string }>()).map((r) => r.v);
  }
  return {
    descendantsOf: (tenant, profileId) =>
      column(
        `SELECT old_profile_id AS v FROM ${table} FINAL WHERE tenant = ${sqlString(tenant)} AND override_profile_id = ${sqlString(profileId)}`,
      ),
    targetOf: async (tenant, profileId) =>
      (
        await column(
          `SELECT override_profile_id AS v FROM ${table} FINAL WHERE tenant = ${sqlString(tenant)} AND old_profile_id = ${sqlString(profileId)}`,
        )
      )[0],
  };
}
