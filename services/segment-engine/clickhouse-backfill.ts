// Backfill of profile traits from ClickHouse when a tenant's definitions change: every live profile
// of the tenant (profiles FINAL, not merged, not deleted) with its snapshot version, page by page.
// Per-trait versions (profile-state.ts) make it safe while live changes flow.
import type { ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../common/clickhouse/escape-sql';

export interface ProfileTraitsRow {
  profileId: string;
  version: number;
  traits: Record<string, unknown>;
}

const PAGE = 5000;

export async function* profilesOfTenant(
  clickhouse: ClickHouseClient,
  database: string,
  tenant: string,
): AsyncGenerator<ProfileTraitsRow[]> {
  let after = '';
  for (;;) {
    const rs = await clickhouse.query({
      query: `SELECT profile_id, version, traits FROM ${sqlIdentifier(database)}.profiles FINAL
        WHERE tenant = ${sqlString(tenant)} AND merged_into = '' AND is_deleted = 0 AND profile_id > ${sqlString(after)}
        ORDER BY profile_id LIMIT ${PAGE}`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ profile_id: string; version: string | number; traits: string }>();
    if (rows.length === 0) return;
    yield rows.map((r) => {
      let traits: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(r.traits);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
          traits = parsed as Record<string, unknown>;
      } catch {
        // A row whose traits are not JSON gives none: the profile is still evaluated.
      }
      return { profileId: r.profile_id, version: Number(r.version), traits };
    });
    after = rows[rows.length - 1]!.profile_id;
  }
}
