// cdp.identity.merges.v1 record -> the loser's profiles row with merged_into set. The resolver
// sends a tombstone for the loser on the compacted profiles topic, which the sink cannot write
// (no tenant in the key), so without this row the loser's last snapshot would stay live for ever.
import { toClickHouseDateTime } from './clickhouse-datetime';
import type { IdentityMergeRecord } from '../common/streams/identity-merges';
import type { ProfileRow } from './profile-rows';

/**
 * The row's version is the merge's mergedAt (epoch milliseconds), not survivorVersion: versions
 * count per profile, so the survivor's version says nothing about the loser's (a loser at version
 * 40 merged into a survivor at 3 is ordinary), and the record does not carry the loser's. In
 * ReplacingMergeTree(version) the loser's row must outrank every snapshot of the loser, whichever
 * arrives first; a per-profile counter (one per change) never reaches an epoch in milliseconds
 * (~1.7e12), and a loser gets no snapshot after its merge. mergedAt is the same on every replay.
 *
 * `last` is the loser's row in ClickHouse when the merge arrived (its traits and first/last seen
 * are kept for analysts); its identifiers moved to the survivor, so the row owns none.
 */
export function mergedLoserRow(merge: IdentityMergeRecord, last: ProfileRow | undefined): ProfileRow {
  const at = toClickHouseDateTime(merge.mergedAt);
  return {
    tenant: merge.tenant,
    profile_id: merge.loserId,
    version: merge.mergedAt,
    traits: last?.traits ?? '{}',
    identifiers: [],
    first_seen: last?.first_seen ?? at,
    last_seen: last?.last_seen ?? at,
    updated_at: at,
    // profiles: a merged-away profile keeps its row with merged_into set; is_deleted is for erasure.
    is_deleted: last?.is_deleted ?? 0,
    merged_into: merge.survivorId,
    // A merged-away profile is in no segment: its trait paths are not needed.
    trait_keys: [],
    trait_values: [],
  };
}
