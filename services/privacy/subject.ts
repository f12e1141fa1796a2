// Who a request is about: the live profile owning the identifier, every profile merged into it
// (Redis merge history and ClickHouse profile_overrides), and every identifier any of them holds.
// Only the graph's own links count: a person sharing an email with the subject but never merged
// with it is not part of the subject.
import { queryRows, type ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../common/clickhouse/escape-sql';
import type { IdentityGraph } from '../identity-resolver/identity-graph';
import type { SubjectKeys } from './personal-data-tables';
import type { SubjectLookups } from './subject-lookups';

export interface Subject extends SubjectKeys {
  /** The live profile (first of profileIds). */
  profileId: string;
}

export interface SubjectSources {
  graph: Pick<IdentityGraph, 'getProfileByIdentifier' | 'getProfile'>;
  clickhouse: ClickHouseClient;
  database: string;
  /** The look-ups every request makes, batched across the requests carried out at once. */
  lookups: SubjectLookups;
}

/** How a request names its subject: a normalized `type:value`, or a profile id. */
export type SubjectName = { identifier: string } | { profileId: string };

/** The subject a request names, or null when no store knows it. */
export async function findSubject(
  sources: SubjectSources,
  tenant: string,
  name: SubjectName,
): Promise<Subject | null> {
  const db = sqlIdentifier(sources.database);
  const t = sqlString(tenant);
  const profileIds = new Set<string>();
  const identifiers = new Set<string>('identifier' in name ? [name.identifier] : []);
  let root: string | null = null;

  const live =
    'identifier' in name
      ? await sources.graph.getProfileByIdentifier(tenant, name.identifier)
      : await sources.graph.getProfile(tenant, name.profileId);
  if (live !== null) {
    root = live.profileId;
    profileIds.add(root);
    for (const id of live.mergedFrom) profileIds.add(id);
    for (const i of live.identifiers) identifiers.add(i);
  } else {
    // Redis does not know it (rebuilt, or a stale row): ClickHouse's latest owner, then its survivor.
    const owner =
      'identifier' in name
        ? await queryRows<{ profile_id: string }>(
            sources.clickhouse,
            `SELECT profile_id FROM ${db}.identities FINAL WHERE tenant = ${t} AND identifier = ${sqlString(name.identifier)} LIMIT 1`,
          )
        : await queryRows<{ profile_id: string }>(
            sources.clickhouse,
            `SELECT profile_id FROM ${db}.profiles FINAL WHERE tenant = ${t} AND profile_id = ${sqlString(name.profileId)} LIMIT 1`,
          );
    const owned = owner[0]?.profile_id;
    if (owned === undefined || owned === '') return null;
    const survivor = await queryRows<{ override_profile_id: string }>(
      sources.clickhouse,
      `SELECT override_profile_id FROM ${db}.profile_overrides FINAL WHERE tenant = ${t} AND old_profile_id = ${sqlString(owned)} LIMIT 1`,
    );
    root = survivor[0]?.override_profile_id || owned;
    profileIds.add(root);
    profileIds.add(owned);
  }

  // Overrides are flat (every merged-away id points at the root), so one look-up finds them all.
  for (const old of await sources.lookups.mergedInto(tenant, root)) profileIds.add(old);
  const ids = [...profileIds];
  for (const i of await sources.lookups.identifiersOf(tenant, ids)) identifiers.add(i);

  return {
    tenant,
    profileId: root,
    profileIds: [root, ...ids.filter((id) => id !== root).sort()],
    identifiers: [...identifiers].sort(),
  };
}
