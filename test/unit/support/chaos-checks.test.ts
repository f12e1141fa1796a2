// The crash test's own checks must be able to fail: a gap, a missing tail, a differing re-send and
// changes of an unknown profile are reported; the stream it publishes is merge-heavy by construction.
import { createSeededRandom } from '../../../bench/population/seeded-random';
import {
  changeVersionProblems,
  readChangeLog,
  type ChangeRecord,
  type StoredProfile,
} from '../../support/change-log-checks';
import { mergeHeavyStream } from '../../support/merge-heavy-stream';

const change = (profileId: string, version: number, body = 'x'): ChangeRecord => ({
  profileId,
  version,
  bytes: Buffer.from(`${profileId}:${version}:${body}`),
});
const live = (version: number): StoredProfile => ({ version, mergedInto: null });

describe('change log checks', () => {
  it('accepts 1..v for a live profile and 1..v-1 for a merged-away one, re-sends identical', () => {
    const log = readChangeLog([change('a', 1), change('a', 2), change('b', 1), change('a', 2)]);
    expect(log.resent).toBe(1);
    expect(log.differing).toEqual([]);
    const stored = new Map([
      ['a', live(2)],
      ['b', { version: 2, mergedInto: 'a' }],
    ]);
    expect(changeVersionProblems(log, stored)).toEqual([]);
  });

  it('reports a gap, a missing tail and changes of a profile Redis does not hold', () => {
    const log = readChangeLog([change('a', 1), change('a', 3), change('b', 1), change('z', 1)]);
    expect(
      changeVersionProblems(
        log,
        new Map([
          ['a', live(3)],
          ['b', live(2)],
        ]),
      ),
    ).toEqual([
      'a: change versions [1,3], expected 1..3',
      'b: change versions [1], expected 1..2',
      'z: changes for a profile Redis does not hold',
    ]);
  });

  it('reports a re-sent change whose bytes differ from the first', () => {
    const log = readChangeLog([change('a', 1), change('a', 1, 'other')]);
    expect(log.differing).toEqual(['a:1']);
  });
});

describe('merge-heavy stream', () => {
  const stream = mergeHeavyStream({
    tenant: 't',
    run: 'r',
    people: 10,
    perRound: 4,
    random: createSeededRandom(7),
  });

  it('publishes every event once, each person browsing on two devices then logging in on both', () => {
    const all = stream.rounds.flat();
    expect(all).toHaveLength(80);
    expect(new Set(all.map((e) => e.messageId)).size).toBe(80);
    const person = stream.people[3]!;
    const own = all.filter((e) => person.messageIds.includes(e.messageId));
    expect(own.filter((e) => e.type === 'identify').map((e) => e.anonymousId)).toEqual(person.devices);
    expect(own.filter((e) => e.userId === undefined).map((e) => e.anonymousId)).toEqual([
      person.devices[0],
      person.devices[0],
      person.devices[1],
      person.devices[1],
    ]);
  });

  it('sends a group browsing one round before it logs in', () => {
    expect(stream.rounds).toHaveLength(4);
    const roundOf = (id: string) => stream.rounds.findIndex((r) => r.some((e) => e.messageId === id));
    for (const person of stream.people) {
      const browse = person.messageIds.slice(0, 4).map(roundOf);
      const login = person.messageIds.slice(4).map(roundOf);
      expect(new Set(browse).size).toBe(1);
      expect(login.every((r) => r === (browse[0] as number) + 1)).toBe(true);
    }
  });
});
