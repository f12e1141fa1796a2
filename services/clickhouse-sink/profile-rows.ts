// cdp.profiles.v1 snapshot -> one profiles row plus one identities row per identifier it owns.
import { flattenTraits } from '../common/events/flat-json';
import { isJsonObject } from '../common/events/json-object';
import { toClickHouseDateTime } from './clickhouse-datetime';
import type { ProfileSnapshotRecord } from '../common/streams/profile-snapshots';

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
  /** Leaves of the traits by dotted path, as the segment engine reads them (0010). */
  trait_keys: string[];
  trait_values: string[];
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

function traitPaths(traits: string): { keys: string[]; values: string[] } {
  try {
    const parsed: unknown = JSON.parse(traits);
    return isJsonObject(parsed) ? flattenTraits(parsed) : { keys: [], values: [] };
  } catch {
    return { keys: [], values: [] };
  }
}

export function profileRows(r: ProfileSnapshotRecord): ProfileRows {
  const { tenant, profileId, identifiers, updatedAt } = r;
  const flat = traitPaths(r.traits);
  return {
    profile: {
      tenant,
      profile_id: profileId,
      version: r.version,
      traits: r.traits,
      identifiers,
      first_seen: toClickHouseDateTime(r.firstSeen),
      last_seen: toClickHouseDateTime(r.lastSeen),
      updated_at: toClickHouseDateTime(updatedAt),
      is_deleted: 0,
      merged_into: r.mergedInto ?? '',
      trait_keys: flat.keys,
      trait_values: flat.values,
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
