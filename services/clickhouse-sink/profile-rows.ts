// cdp.profiles.v1 snapshot -> one profiles row plus one identities row per identifier it owns.
import { toClickHouseDateTime } from './clickhouse-datetime';
import { asRecord, num, optStr, str, strArray } from './record-fields';

export interface ProfileRow {
  tenant: string;
  profile_id: string;
  version: number;
  traits: string;
  identifiers: string[];
  first_seen: string;
  last_seen: string;
  updated_at: string;
  is_deleted: number;
  merged_into: string;
}

export interface IdentityRow {
  tenant: string;
  identifier: string;
  profile_id: string;
  version: number;
}

export interface ProfileRows {
  profile: ProfileRow;
  identities: IdentityRow[];
}

export function profileRows(decoded: unknown): ProfileRows {
  const r = asRecord(decoded, 'profile snapshot');
  const tenant = str(r, 'tenant');
  const profileId = str(r, 'profileId');
  const identifiers = strArray(r, 'identifiers');
  const updatedAt = num(r, 'updatedAt');
  return {
    profile: {
      tenant,
      profile_id: profileId,
      version: num(r, 'version'),
      traits: str(r, 'traits'),
      identifiers,
      first_seen: toClickHouseDateTime(num(r, 'firstSeen')),
      last_seen: toClickHouseDateTime(num(r, 'lastSeen')),
      updated_at: toClickHouseDateTime(updatedAt),
      is_deleted: 0,
      merged_into: optStr(r, 'mergedInto'),
    },
    // Profile versions count per profile, so they cannot order an identifier that moved between
    // profiles; the snapshot's server-clock updatedAt can, and is the same on every replay.
    identities: identifiers.map((identifier) => ({
      tenant,
      identifier,
      profile_id: profileId,
      version: updatedAt,
    })),
  };
}
