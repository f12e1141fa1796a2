// Reads what a merge needs from ClickHouse: the current (FINAL) profile_overrides, so the merge can
// keep that table flat, and the loser's last profiles row. Values reach the SQL text only through
// escape-sql.ts (18.16 has no query parameters).
import { queryRows, type ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../common/clickhouse/escape-sql';
import type { ProfileRow } from './profile-rows';

const PROFILE_COLUMNS =
  'tenant, profile_id, version, traits, identifiers, first_seen, last_seen, updated_at, is_deleted, merged_into';

export interface OverrideLookup {
  /** Profiles whose override currently targets `profileId`. */
  descendantsOf(tenant: string, profileId: string): Promise<string[]>;
  /** Where `profileId` forwards to, when it was itself merged away. */
  targetOf(tenant: string, profileId: string): Promise<string | undefined>;
  /** The highest-version profiles row of `profileId`, if any reached ClickHouse yet. */
  profileOf(tenant: string, profileId: string): Promise<ProfileRow | undefined>;
}

export function clickHouseOverrideLookup(client: ClickHouseClient, database: string): OverrideLookup {
  const table = `${sqlIdentifier(database)}.profile_overrides`;
  const profiles = `${sqlIdentifier(database)}.profiles`;
  async function column(query: string): Promise<string[]> {
    return (await queryRows<{ v: string }>(client, query)).map((r) => r.v);
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
    profileOf: async (tenant, profileId) => {
      const [row] = await queryRows<
        Omit<ProfileRow, 'version' | 'is_deleted'> & { version: string; is_deleted: number }
      >(
        client,
        `SELECT ${PROFILE_COLUMNS} FROM ${profiles} FINAL WHERE tenant = ${sqlString(tenant)} AND profile_id = ${sqlString(profileId)}`,
      );
      // UInt64 comes back as a quoted string in JSON; the row goes back in as a number.
      return row && { ...row, version: Number(row.version), is_deleted: Number(row.is_deleted) };
    },
  };
}
