import {
  lastWrittenPerProfile,
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

describe('lastWrittenPerProfile (what a chunk sent, after compactOutputs)', () => {
  const w = (profileId: string, version: number | null, tenant = t): WrittenSnapshot => ({
    tenant,
    profileId,
    version,
  });
  const first = (profileId: string, version: number): WrittenSnapshot => ({
    ...w(profileId, version),
    earlierDelivery: true,
  });

  it("keeps each profile's last write only, in order (earlier ones of the chunk were never sent)", () => {
    expect(lastWrittenPerProfile([w('p1', 3), w('p2', 1), w('p1', 5), w('p2', null), w('p3', 2)])).toEqual([
      w('p1', 5),
      w('p2', null),
      w('p3', 2),
    ]);
  });

  it('keeps an out-of-order last write: the chunk sent it, and the guard must find it behind', () => {
    // Two keys of one profile handled concurrently: offset order (what is sent) is v5 then v4.
    expect(lastWrittenPerProfile([w('p1', 5), w('p1', 4)])).toEqual([w('p1', 4)]);
  });

  it("keeps an earlier delivery's record unless the chunk sent a later record of that profile", () => {
    expect(lastWrittenPerProfile([first('p1', 2), w('p1', 6)])).toEqual([w('p1', 6)]);
    expect(lastWrittenPerProfile([w('p1', null), first('p1', 2)])).toEqual([w('p1', null), first('p1', 2)]);
    expect(lastWrittenPerProfile([first('p1', 2), first('p1', 2)])).toEqual([first('p1', 2), first('p1', 2)]);
  });

  it('tells tenants apart', () => {
    expect(lastWrittenPerProfile([w('p1', 1, 'a'), w('p1', 2, 'b')])).toHaveLength(2);
  });
});
