// Backfill of profile traits from ClickHouse when a tenant's definitions change: every live profile
// of the tenant (profiles FINAL, not merged, not deleted) with its snapshot version, page by page.
// Per-trait versions (profile-state.ts) make it safe while live changes flow.
import type { ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlInList, sqlString } from '../common/clickhouse/escape-sql';

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

export interface HistoryEvent {
  messageId: string;
  event: string;
  timestamp: number;
  properties: string;
}

/**
 * The tenant's events of these names from events_resolved (merges applied), grouped by profile,
 * a page of profiles at a time: what a new signature needs of the history.
 */
export async function* eventsOfTenant(
  clickhouse: ClickHouseClient,
  database: string,
  tenant: string,
  names: string[],
  profilesPerPage = 500,
): AsyncGenerator<Map<string, HistoryEvent[]>> {
  if (names.length === 0) return;
  const db = sqlIdentifier(database);
  const filter = `tenant = ${sqlString(tenant)} AND event IN ${sqlInList(names)}`;
  let after = '';
  for (;;) {
    const ids = await (
      await clickhouse.query({
        query: `SELECT profile_id FROM ${db}.events_resolved WHERE ${filter} AND profile_id > ${sqlString(after)}
          GROUP BY profile_id ORDER BY profile_id LIMIT ${profilesPerPage}`,
        format: 'JSONEachRow',
      })
    ).json<{ profile_id: string }>();
    if (ids.length === 0) return;
    const rows = await (
      await clickhouse.query({
        query: `SELECT profile_id, message_id, event, toUnixTimestamp(timestamp) AS ts, properties
          FROM ${db}.events_resolved
          WHERE ${filter} AND profile_id IN (${ids.map((r) => sqlString(r.profile_id)).join(', ')})`,
        format: 'JSONEachRow',
      })
    ).json<{
      profile_id: string;
      message_id: string;
      event: string;
      ts: string | number;
      properties: string;
    }>();
    const byProfile = new Map<string, HistoryEvent[]>();
    for (const r of rows) {
      const list = byProfile.get(r.profile_id) ?? [];
      // ClickHouse keeps whole seconds; the day and the first/last order (seconds, then id) are unchanged.
      list.push({
        messageId: r.message_id,
        event: r.event,
        timestamp: Number(r.ts) * 1000,
        properties: r.properties,
      });
      byProfile.set(r.profile_id, list);
    }
    yield byProfile;
    after = ids[ids.length - 1]!.profile_id;
  }
}
