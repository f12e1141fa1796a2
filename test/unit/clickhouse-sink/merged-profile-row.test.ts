// The loser's profiles row written on a merge: merged_into set, and a version that outranks any
// snapshot of the loser in ReplacingMergeTree(version), whatever the survivor's version.
import { mergedLoserRow } from '../../../services/clickhouse-sink/merged-profile-row';
import { profileRows } from '../../../services/clickhouse-sink/profile-rows';
import type { IdentityMergeRecord } from '../../../services/common/streams/identity-merges';

const T = Date.UTC(2026, 0, 2, 3, 4, 5);
const merge: IdentityMergeRecord = {
  mergeId: 'L:S',
  tenant: 't',
  loserId: 'L',
  survivorId: 'S',
  survivorVersion: 3,
  identifiersMoved: ['email:l'],
  sourceMessageId: 'm-1',
  mergedAt: T,
};

function loserSnapshot(version: number) {
  return profileRows({
    tenant: 't',
    profileId: 'L',
    version,
    identifiers: ['email:l'],
    traits: '{"plan":"pro"}',
    firstSeen: T - 86_400_000,
    lastSeen: T - 1000,
    updatedAt: T - 1000,
    mergedInto: null,
    traitTimestamps: {},
    mergeCount: 0,
    mergedFrom: [],
    traitState: null,
  }).profile;
}

describe('mergedLoserRow', () => {
  it('keeps the loser’s traits and first/last seen, owns no identifiers, and points at the survivor', () => {
    const last = loserSnapshot(40);
    expect(mergedLoserRow(merge, last)).toEqual({
      ...last,
      version: T,
      identifiers: [],
      updated_at: '2026-01-02 03:04:05',
      merged_into: 'S',
      trait_keys: [],
      trait_values: [],
    });
  });

  it('outranks a loser version far above the survivor’s (survivorVersion would not)', () => {
    const last = loserSnapshot(40);
    expect(merge.survivorVersion).toBeLessThan(last.version);
    expect(mergedLoserRow(merge, last).version).toBeGreaterThan(last.version);
    // Even a loser with a million changes stays below any mergedAt after 1970-01-01 00:16:40.
    expect(mergedLoserRow(merge, undefined).version).toBeGreaterThan(1_000_000);
  });

  it('writes a pointer row when the loser’s snapshot has not reached ClickHouse yet', () => {
    expect(mergedLoserRow(merge, undefined)).toEqual({
      tenant: 't',
      profile_id: 'L',
      version: T,
      traits: '{}',
      identifiers: [],
      first_seen: '2026-01-02 03:04:05',
      last_seen: '2026-01-02 03:04:05',
      updated_at: '2026-01-02 03:04:05',
      is_deleted: 0,
      merged_into: 'S',
      trait_keys: [],
      trait_values: [],
    });
  });

  it('is the same on replay, when the lookup returns the merged row itself', () => {
    const first = mergedLoserRow(merge, loserSnapshot(7));
    expect(mergedLoserRow(merge, first)).toEqual(first);
  });
});
