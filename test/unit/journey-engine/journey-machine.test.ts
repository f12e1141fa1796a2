// The pure parts beside the property test: filters, and how two slots of merging profiles become one.
import { compare, matchesWhere, valueAt } from '../../../services/journey-engine/filters';
import { mergeSlots } from '../../../services/journey-engine/journey-machine';
import type { Instance } from '../../../services/journey-engine/journey-state';

const inst = (id: string, seq: number): Instance => ({
  id,
  version: 1,
  step: `s${seq}`,
  seq,
  due: 5000,
  trigger: { at: 1 },
});

describe('filters', () => {
  it('reads dotted paths, an exact key with a dot first', () => {
    expect(valueAt({ a: { b: 1 } }, 'a.b')).toBe(1);
    expect(valueAt({ 'a.b': 2, a: { b: 1 } }, 'a.b')).toBe(2);
    expect(valueAt({ a: [1] }, 'a.0')).toBeUndefined();
  });

  it('compares; a missing value matches only neq and not_exists', () => {
    expect(compare(undefined, 'neq', 'x')).toBe(true);
    expect(compare(undefined, 'not_exists', undefined)).toBe(true);
    expect(compare(undefined, 'eq', undefined)).toBe(false);
    expect(compare(3, 'gte', 3)).toBe(true);
    expect(compare('3', 'gt', 2)).toBe(false);
    expect(compare('pro', 'in', ['pro', 'team'])).toBe(true);
    expect(compare('/pricing/team', 'contains', '/pricing')).toBe(true);
    expect(matchesWhere([{ property: 'path', op: 'eq', value: '/pricing' }], { path: '/pricing' })).toBe(
      true,
    );
  });
});

describe('mergeSlots', () => {
  it('keeps the more advanced instance; the other exits as merged; entries add up', () => {
    const m = mergeSlots(
      'j',
      'sur',
      { entries: 1, run: inst('aaa', 2) },
      'los',
      { entries: 1, run: inst('bbb', 4) },
      9000,
    );
    expect(m.slot.run?.id).toBe('bbb');
    expect(m.slot.entries).toBe(2);
    expect(m.log).toEqual([
      expect.objectContaining({
        instanceId: 'aaa',
        profileId: 'sur',
        kind: 'exited',
        detail: 'merged',
        at: 9000,
      }),
    ]);
  });

  it('breaks a tie by the smaller instance id, whichever side it is on', () => {
    const a = mergeSlots(
      'j',
      'sur',
      { entries: 1, run: inst('ccc', 3) },
      'los',
      { entries: 1, run: inst('bbb', 3) },
      1,
    );
    const b = mergeSlots(
      'j',
      'sur',
      { entries: 1, run: inst('bbb', 3) },
      'los',
      { entries: 1, run: inst('ccc', 3) },
      1,
    );
    expect([a.slot.run?.id, b.slot.run?.id]).toEqual(['bbb', 'bbb']);
  });

  it('moves a lone running instance and joins unused occurrences', () => {
    expect(mergeSlots('j', 's', { entries: 0 }, 'l', { entries: 1, run: inst('x', 1) }, 1)).toEqual({
      slot: { entries: 1, run: inst('x', 1), occurrences: undefined, endedAt: undefined },
      log: [],
    });
    expect(
      mergeSlots('j', 's', { entries: 0, occurrences: [5] }, 'l', { entries: 0, occurrences: [3] }, 1).slot
        .occurrences,
    ).toEqual([3, 5]);
  });
});
