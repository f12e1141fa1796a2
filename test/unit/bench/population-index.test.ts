import { distinctSubjects, lookupTargets } from '../../../bench/stages/population-index';

const index = new Map<string, string>([
  ['email:a@example.com', 'p1'],
  ['user_id:a', 'p1'],
  ['email:b@example.com', 'p2'],
  ['email:b2@example.com', 'p2'],
  ['anonymous_id:x', 'p3'],
  ['email:c@example.com', 'p4'],
]);

describe('distinctSubjects', () => {
  it('picks identifiers of the type, one per profile', () => {
    const subjects = distinctSubjects(index, 'email', 10);
    expect(subjects).toEqual(['email:a@example.com', 'email:b@example.com', 'email:c@example.com']);
    expect(new Set(subjects.map((s) => index.get(s))).size).toBe(subjects.length);
  });

  it('spreads a smaller count over the population', () => {
    expect(distinctSubjects(index, 'email', 2)).toEqual(['email:a@example.com', 'email:b@example.com']);
    expect(distinctSubjects(index, 'phone', 5)).toEqual([]);
  });
});

describe('lookupTargets', () => {
  it('takes at most max identifiers and the profiles they point at', () => {
    const all = lookupTargets(index, 100);
    expect(all.identifiers).toHaveLength(6);
    expect(all.profileIds.sort()).toEqual(['p1', 'p2', 'p3', 'p4']);
    const some = lookupTargets(index, 3);
    expect(some.identifiers).toHaveLength(3);
    for (const id of some.identifiers) expect(index.has(id)).toBe(true);
    for (const p of some.profileIds) expect(some.identifiers.some((i) => index.get(i) === p)).toBe(true);
  });
});
