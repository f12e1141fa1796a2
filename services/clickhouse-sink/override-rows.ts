// cdp.identity.merges.v1 record -> profile_overrides rows, kept flat: the loser and every profile
// that already pointed at the loser now point at the root survivor.
import { toClickHouseDateTime } from './clickhouse-datetime';
import type { IdentityMergeRecord } from '../common/streams/identity-merges';

export interface OverrideRow {
  tenant: string;
  old_profile_id: string;
  override_profile_id: string;
  version: number;
  merged_at: string;
}

/**
 * `root` is where the survivor itself forwards to (itself unless it was merged away meanwhile);
 * `descendants` are the profiles whose override currently targets the loser.
 * The version is the merge's server-clock mergedAt, not survivorVersion: profile versions count per
 * profile, so a re-pointed descendant's old row (stamped by the loser's version) could outrank it.
 * mergedAt orders merges across profiles and is identical on replay.
 */
export function overrideRows(merge: IdentityMergeRecord, root: string, descendants: string[]): OverrideRow[] {
  const sources = [merge.loserId, ...descendants.filter((d) => d !== merge.loserId && d !== root)];
  return sources.map((old) => ({
    tenant: merge.tenant,
    old_profile_id: old,
    override_profile_id: root,
    version: merge.mergedAt,
    merged_at: toClickHouseDateTime(merge.mergedAt),
  }));
}
