// cdp.segments.membership.v1 and cdp.segments.computed.v1 records -> history rows (migration 0011)
// and the current membership per (segment, profile) (segment_membership, 0007).
import type { ComputedTraitChangeRecord } from '../common/streams/computed-traits';
import type { SegmentMembershipRecord } from '../common/streams/segment-membership';
import { toClickHouseDateTime } from './clickhouse-datetime';

export function membershipChangeRow(r: SegmentMembershipRecord) {
  return {
    tenant: r.tenant,
    segment_id: r.segmentId,
    profile_id: r.profileId,
    change_id: r.changeId,
    status: r.status,
    version: r.version,
    segment_version: r.segmentVersion,
    changed_at: toClickHouseDateTime(r.changedAt),
  };
}

/** The current state: ReplacingMergeTree(version) keeps the latest; `changed_at` of an `in` row is when it entered. */
export function currentMembershipRow(r: SegmentMembershipRecord) {
  return {
    tenant: r.tenant,
    segment_id: r.segmentId,
    profile_id: r.profileId,
    status: r.status === 'entered' ? 'in' : 'out',
    version: r.version,
    changed_at: toClickHouseDateTime(r.changedAt),
  };
}

/** `value` is the JSON text ('' with has_value 0 when the trait has no value). */
export function computedTraitRow(r: ComputedTraitChangeRecord) {
  return {
    tenant: r.tenant,
    trait_id: r.traitId,
    profile_id: r.profileId,
    change_id: r.changeId,
    value: r.value ?? '',
    has_value: r.value === null ? 0 : 1,
    version: r.version,
    definition_version: r.definitionVersion,
    changed_at: toClickHouseDateTime(r.changedAt),
  };
}
