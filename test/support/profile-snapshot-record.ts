// A profile snapshot in the Avro record form of cdp.profiles.v1, for sink tests: times derive from
// `at` and the version, so a later version is also later in time.
import type { ProfileSnapshotRecord } from '../../services/common/streams/profile-snapshots';

export interface SnapshotOf {
  tenant: string;
  profileId: string;
  version: number;
  /** Epoch milliseconds of first_seen. */
  at: number;
  identifiers: string[];
  mergedInto?: string | null;
  traits?: Record<string, unknown>;
}

export function profileSnapshotRecord(s: SnapshotOf): ProfileSnapshotRecord {
  return {
    tenant: s.tenant,
    profileId: s.profileId,
    version: s.version,
    identifiers: s.identifiers,
    traits: JSON.stringify(s.traits ?? { name: s.profileId }),
    traitTimestamps: {},
    mergedInto: s.mergedInto ?? null,
    mergeCount: 0,
    firstSeen: s.at,
    lastSeen: s.at + s.version,
    updatedAt: s.at + s.version * 1000,
    mergedFrom: [],
    traitState: null,
  };
}
