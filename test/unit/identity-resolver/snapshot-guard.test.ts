import {
  overtakenSnapshots,
  type StoredProfileVersion,
  type WrittenSnapshot,
} from '../../../services/identity-resolver/snapshot-guard';

const t = 'acme';
const stored =
  (byId: Record<string, StoredProfileVersion>) =>
  (w: WrittenSnapshot): StoredProfileVersion =>
    byId[w.profileId] ?? { version: null, mergedInto: null };

describe('overtakenSnapshots', () => {
  it('asks for nothing when Redis holds what was written', () => {
    const written = [{ tenant: t, profileId: 'p1', version: 6 }];
    expect(overtakenSnapshots(written, stored({ p1: { version: 6, mergedInto: null } }))).toEqual([]);
  });

  it('re-appends the current state of a profile Redis moved past (an older write landed last)', () => {
    const written = [{ tenant: t, profileId: 'p1', version: 5 }];
    expect(overtakenSnapshots(written, stored({ p1: { version: 6, mergedInto: null } }))).toEqual([
      { kind: 'snapshot', tenant: t, profileId: 'p1' },
    ]);
  });

  it('tombstones a profile merged away since its snapshot was written', () => {
    const written = [{ tenant: t, profileId: 'loser', version: 3 }];
    expect(overtakenSnapshots(written, stored({ loser: { version: 0, mergedInto: 'p1' } }))).toEqual([
      { kind: 'tombstone', tenant: t, profileId: 'loser' },
    ]);
  });

  it('leaves a tombstone of a merged profile alone, and never erases what Redis does not know', () => {
    const written = [
      { tenant: t, profileId: 'loser', version: null },
      { tenant: t, profileId: 'wiped', version: 4 },
    ];
    expect(overtakenSnapshots(written, stored({ loser: { version: 0, mergedInto: 'p1' } }))).toEqual([]);
  });

  it('asks once per profile however many of its records were written', () => {
    const written = [
      { tenant: t, profileId: 'p1', version: 4 },
      { tenant: t, profileId: 'p1', version: 5 },
      { tenant: 'other', profileId: 'p1', version: 5 },
    ];
    const corrections = overtakenSnapshots(written, () => ({ version: 7, mergedInto: null }));
    expect(corrections).toEqual([
      { kind: 'snapshot', tenant: t, profileId: 'p1' },
      { kind: 'snapshot', tenant: 'other', profileId: 'p1' },
    ]);
  });
});
