import {
  NOT_INDEXED,
  computePairwiseAccuracy,
  computePairwiseAccuracyFromStream,
} from '../../../bench/accuracy/pairwise-accuracy';
import type { TruthEntry } from '../../../bench/population/ground-truth';
import { createSeededRandom } from '../../../bench/population/seeded-random';

// Person A: a1-a3 linkable, a4 never linked to them; person B: b1-b2 linkable.
const TRUTH: TruthEntry[] = [
  { id: 'a1', person: 'A', component: 'A#0' },
  { id: 'a2', person: 'A', component: 'A#0' },
  { id: 'a3', person: 'A', component: 'A#0' },
  { id: 'a4', person: 'A', component: 'A#1' },
  { id: 'b1', person: 'B', component: 'B#0' },
  { id: 'b2', person: 'B', component: 'B#0' },
];

const index = (profiles: Record<string, string[]>): Map<string, string> =>
  new Map(Object.entries(profiles).flatMap(([profile, ids]) => ids.map((id) => [id, profile] as const)));

describe('computePairwiseAccuracy', () => {
  test('perfect resolution', () => {
    const report = computePairwiseAccuracy(
      TRUTH,
      index({ P1: ['a1', 'a2', 'a3'], P2: ['a4'], P3: ['b1', 'b2'] }),
    );
    expect(report).toMatchObject({
      identifiers: 6,
      predictedPairs: 4,
      samePersonPairs: 4,
      falseMergePairs: 0,
      linkablePairs: 4,
      linkedPairs: 4,
      missedLinkPairs: 0,
      precision: 1,
      recall: 1,
      f1: 1,
      falseMergeExamples: [],
      missedLinkExamples: [],
      unknownIdentifiers: 0,
    });
  });

  test('joining two components of one person is not a false merge', () => {
    const report = computePairwiseAccuracy(TRUTH, index({ P1: ['a1', 'a2', 'a3', 'a4'], P3: ['b1', 'b2'] }));
    expect(report).toMatchObject({ predictedPairs: 7, samePersonPairs: 7, precision: 1, recall: 1 });
  });

  test('one false merge', () => {
    const report = computePairwiseAccuracy(
      TRUTH,
      index({ P1: ['a1', 'a2', 'a3', 'b1'], P2: ['a4'], P3: ['b2'] }),
    );
    expect(report).toMatchObject({
      predictedPairs: 6,
      samePersonPairs: 3,
      falseMergePairs: 3,
      linkablePairs: 4,
      linkedPairs: 3,
      missedLinkPairs: 1,
      precision: 0.5,
      recall: 0.75,
      falseMergeProfiles: 1,
      splitComponents: 1,
    });
    expect(report.f1).toBeCloseTo(0.6, 10);
    expect(report.falseMergeExamples).toEqual([
      { profile: 'P1', people: { A: ['a1', 'a2', 'a3'], B: ['b1'] } },
    ]);
    expect(report.missedLinkExamples).toEqual([{ component: 'B#0', profiles: { P1: ['b1'], P3: ['b2'] } }]);
  });

  test('one missed link', () => {
    const report = computePairwiseAccuracy(
      TRUTH,
      index({ P1: ['a1', 'a2'], P4: ['a3'], P2: ['a4'], P3: ['b1', 'b2'] }),
    );
    expect(report).toMatchObject({
      predictedPairs: 2,
      samePersonPairs: 2,
      precision: 1,
      linkablePairs: 4,
      linkedPairs: 2,
      missedLinkPairs: 2,
      recall: 0.5,
    });
    expect(report.f1).toBeCloseTo(2 / 3, 10);
    expect(report.missedLinkExamples).toEqual([
      { component: 'A#0', profiles: { P1: ['a1', 'a2'], P4: ['a3'] } },
    ]);
  });

  test('an identifier absent from the index is a profile of its own', () => {
    const report = computePairwiseAccuracy(TRUTH, index({ P1: ['a1', 'a2'], P2: ['a4'], P3: ['b1', 'b2'] }));
    expect(report).toMatchObject({
      notIndexed: 1,
      linkedPairs: 2,
      missedLinkPairs: 2,
      recall: 0.5,
      precision: 1,
    });
    expect(report.missedLinkExamples).toEqual([
      { component: 'A#0', profiles: { P1: ['a1', 'a2'], [NOT_INDEXED]: ['a3'] } },
    ]);
  });

  test('shared identifiers are scored by where they land, never as pairs', () => {
    const truth: TruthEntry[] = [
      ...TRUTH,
      { id: 'c1', person: 'C', component: 'C#0' },
      { id: 'email:home', shared: ['A', 'B'] },
      { id: 'kiosk-1', shared: ['A', 'B'] },
      { id: 'kiosk-2', shared: ['A', 'B'] },
      { id: 'kiosk-3', shared: ['B', 'C'] },
    ];
    const report = computePairwiseAccuracy(
      truth,
      index({
        P1: ['a1', 'a2', 'a3', 'email:home'],
        P2: ['a4'],
        P3: ['b1', 'b2'],
        P5: ['c1', 'kiosk-1'],
        P9: ['kiosk-3'],
      }),
    );
    expect(report).toMatchObject({ identifiers: 7, predictedPairs: 4, precision: 1, recall: 1 });
    expect(report.shared).toEqual({
      total: 4,
      withSharer: 1,
      elsewhere: 2,
      notIndexed: 1,
      elsewhereExamples: [
        { id: 'kiosk-1', sharedBy: ['A', 'B'], profile: 'P5', profilePeople: ['C'] },
        { id: 'kiosk-3', sharedBy: ['B', 'C'], profile: 'P9', profilePeople: [] },
      ],
    });
  });

  test('index entries missing from the truth are listed', () => {
    const predicted = index({
      P1: ['a1', 'a2', 'a3', 'user_id:null'],
      P2: ['a4'],
      P3: ['b1', 'b2'],
      P7: ['x'],
    });
    const report = computePairwiseAccuracy(TRUTH, predicted, { maxExamples: 1 });
    expect(report.unknownIdentifiers).toBe(2);
    expect(report.unknownIdentifierExamples).toEqual(['user_id:null']);
    expect(report.predictedPairs).toBe(4);
  });

  test('no pairs at all: precision and recall are 1; pairs never linked: recall 0', () => {
    const singles: TruthEntry[] = [
      { id: 'x', person: 'X', component: 'X#0' },
      { id: 'y', person: 'Y', component: 'Y#0' },
    ];
    expect(computePairwiseAccuracy(singles, index({ P1: ['x'], P2: ['y'] }))).toMatchObject({
      precision: 1,
      recall: 1,
      f1: 1,
    });
    expect(computePairwiseAccuracy(TRUTH, new Map())).toMatchObject({
      notIndexed: 6,
      precision: 1,
      recall: 0,
      f1: 0,
    });
  });

  test('a truth listing an identifier twice is refused', () => {
    expect(() => computePairwiseAccuracy([...TRUTH, TRUTH[0] as TruthEntry], new Map())).toThrow(/a1 twice/);
  });

  test('matches counting every pair on random cases', () => {
    const random = createSeededRandom(3);
    for (let round = 0; round < 30; round++) {
      const truth: { id: string; person: string; component: string }[] = [];
      const predicted = new Map<string, string>();
      const size = random.int(1, 40);
      for (let i = 0; i < size; i++) {
        const person = `P${random.int(0, 4)}`;
        truth.push({ id: `i${i}`, person, component: `${person}#${random.int(0, 1)}` });
        if (random.chance(0.9)) predicted.set(`i${i}`, `prof${random.int(0, 6)}`);
      }
      let predictedPairs = 0;
      let samePerson = 0;
      let linkable = 0;
      let linked = 0;
      for (let i = 0; i < truth.length; i++) {
        for (let j = i + 1; j < truth.length; j++) {
          const [a, b] = [truth[i], truth[j]] as [(typeof truth)[0], (typeof truth)[0]];
          const pa = predicted.get(a.id);
          const together = pa !== undefined && pa === predicted.get(b.id);
          if (together) predictedPairs++;
          if (together && a.person === b.person) samePerson++;
          if (a.component === b.component) linkable++;
          if (a.component === b.component && together) linked++;
        }
      }
      expect(computePairwiseAccuracy(truth, predicted)).toMatchObject({
        predictedPairs,
        samePersonPairs: samePerson,
        linkablePairs: linkable,
        linkedPairs: linked,
      });
    }
  });

  test('reads the truth from a stream', async () => {
    async function* stream(): AsyncGenerator<TruthEntry> {
      yield* TRUTH;
    }
    const report = await computePairwiseAccuracyFromStream(stream(), index({ P1: ['a1', 'a2', 'a3'] }));
    expect(report).toMatchObject({ linkedPairs: 3, linkablePairs: 4, notIndexed: 3 });
  });
});
