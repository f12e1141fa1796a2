// How well the identity graph matches the ground truth, counted over pairs of identifiers: a false
// merge is two people's identifiers in one profile, a missed link is one truth component split over
// profiles. Pair counts come from contingency cells (sum of C(n, 2) per cell), so the cost is linear
// in identifiers however large the profiles get.
import type { TruthEntry } from '../population/ground-truth';

export interface AccuracyOptions {
  /** Examples kept per kind (false merges, missed links, unknown and misplaced identifiers). */
  maxExamples?: number;
  /** Identifiers shown per person / per profile inside one example. */
  maxIdentifiersPerExample?: number;
}

export interface FalseMergeExample {
  profile: string;
  /** person -> some of that person's identifiers in this profile. */
  people: Record<string, string[]>;
}

export interface MissedLinkExample {
  component: string;
  /** profile -> some of the component's identifiers in it; NOT_INDEXED for those not in the index. */
  profiles: Record<string, string[]>;
}

export interface MisplacedSharedExample {
  id: string;
  sharedBy: string[];
  profile: string;
  /** The people whose identifiers are in that profile (none: a profile of its own). */
  profilePeople: string[];
}

export interface AccuracyReport {
  /** Non-shared truth identifiers scored. */
  identifiers: number;
  /** Of those, the ones absent from the index (each counted as a profile of its own). */
  notIndexed: number;
  /** Pairs the system put in one profile, and how many of them are one person. */
  predictedPairs: number;
  samePersonPairs: number;
  falseMergePairs: number;
  /** Pairs in one truth component, and how many of them share a profile. */
  linkablePairs: number;
  linkedPairs: number;
  missedLinkPairs: number;
  precision: number;
  recall: number;
  f1: number;
  falseMergeProfiles: number;
  splitComponents: number;
  falseMergeExamples: FalseMergeExample[];
  missedLinkExamples: MissedLinkExample[];
  /** Index entries with no truth entry, e.g. a junk value the resolver should have refused. */
  unknownIdentifiers: number;
  unknownIdentifierExamples: string[];
  shared: {
    total: number;
    /** In a profile holding identifiers of one of the people sharing it. */
    withSharer: number;
    elsewhere: number;
    notIndexed: number;
    elsewhereExamples: MisplacedSharedExample[];
  };
}

export const NOT_INDEXED = '(not indexed)';

export interface AccuracyAccumulator {
  add(entry: TruthEntry): void;
  finish(): AccuracyReport;
}

const SEP = '\u0000';
const pairs = (n: number): number => (n * (n - 1)) / 2;

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * `predicted` maps `type:value` to a profile id, as the Redis identifier index does. Truth entries
 * may arrive in any order (e.g. read from the NDJSON file); the report is computed by `finish`.
 */
export function createAccuracyAccumulator(
  predicted: ReadonlyMap<string, string>,
  options: AccuracyOptions = {},
): AccuracyAccumulator {
  const maxExamples = options.maxExamples ?? 10;
  const perExample = options.maxIdentifiersPerExample ?? 5;
  const seen = new Set<string>();
  const ids: string[] = [];
  const profiles: (string | undefined)[] = [];
  const persons: string[] = [];
  const components: string[] = [];
  const sharedEntries: { id: string; shared: string[] }[] = [];

  return {
    add(entry) {
      if (seen.has(entry.id)) throw new Error(`truth lists identifier ${entry.id} twice`);
      seen.add(entry.id);
      if ('shared' in entry) {
        sharedEntries.push(entry);
        return;
      }
      ids.push(entry.id);
      profiles.push(predicted.get(entry.id));
      persons.push(entry.person);
      components.push(entry.component);
    },
    finish() {
      const profileSize = new Map<string, number>();
      const profilePerson = new Map<string, number>();
      const componentSize = new Map<string, number>();
      const componentProfile = new Map<string, number>();
      const peopleInProfile = new Map<string, number>();
      const profilesOfComponent = new Map<string, number>();
      let notIndexed = 0;
      for (let i = 0; i < ids.length; i++) {
        const person = persons[i] as string;
        const component = components[i] as string;
        increment(componentSize, component);
        const profile = profiles[i];
        // Not indexed: a singleton profile, which adds no pair to any sum below.
        if (profile === undefined) {
          notIndexed++;
          increment(profilesOfComponent, component);
          continue;
        }
        increment(profileSize, profile);
        const cell = profile + SEP + person;
        if (!profilePerson.has(cell)) increment(peopleInProfile, profile);
        increment(profilePerson, cell);
        const split = component + SEP + profile;
        if (!componentProfile.has(split)) increment(profilesOfComponent, component);
        increment(componentProfile, split);
      }

      const sum = (map: Map<string, number>): number => {
        let total = 0;
        for (const n of map.values()) total += pairs(n);
        return total;
      };
      const predictedPairs = sum(profileSize);
      const samePersonPairs = sum(profilePerson);
      const linkablePairs = sum(componentSize);
      const linkedPairs = sum(componentProfile);
      // No predicted pair: nothing was merged, so nothing was merged wrongly (precision 1). No
      // linkable pair: there was nothing to find (recall 1).
      const precision = predictedPairs === 0 ? 1 : samePersonPairs / predictedPairs;
      const recall = linkablePairs === 0 ? 1 : linkedPairs / linkablePairs;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);

      const mixed = [...peopleInProfile].filter(([, n]) => n > 1).map(([profile]) => profile);
      const split = [...profilesOfComponent].filter(([, n]) => n > 1).map(([component]) => component);
      const mergeExamples = new Map(mixed.slice(0, maxExamples).map((p) => [p, new Map<string, string[]>()]));
      const splitExamples = new Map(split.slice(0, maxExamples).map((c) => [c, new Map<string, string[]>()]));
      const addSample = (groups: Map<string, string[]>, key: string, id: string): void => {
        const list = groups.get(key) ?? [];
        if (list.length < perExample) list.push(id);
        groups.set(key, list);
      };
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as string;
        const profile = profiles[i];
        const merged = profile === undefined ? undefined : mergeExamples.get(profile);
        if (merged !== undefined) addSample(merged, persons[i] as string, id);
        const splitInto = splitExamples.get(components[i] as string);
        if (splitInto !== undefined) addSample(splitInto, profile ?? NOT_INDEXED, id);
      }

      const shared = { total: sharedEntries.length, withSharer: 0, elsewhere: 0, notIndexed: 0 };
      const elsewhereExamples: MisplacedSharedExample[] = [];
      for (const entry of sharedEntries) {
        const profile = predicted.get(entry.id);
        if (profile === undefined) {
          shared.notIndexed++;
          continue;
        }
        if (entry.shared.some((person) => profilePerson.has(profile + SEP + person))) {
          shared.withSharer++;
          continue;
        }
        shared.elsewhere++;
        if (elsewhereExamples.length < maxExamples) {
          const prefix = profile + SEP;
          const profilePeople = [...profilePerson.keys()]
            .filter((cell) => cell.startsWith(prefix))
            .map((cell) => cell.slice(prefix.length));
          elsewhereExamples.push({ id: entry.id, sharedBy: entry.shared, profile, profilePeople });
        }
      }

      let unknownIdentifiers = 0;
      const unknownIdentifierExamples: string[] = [];
      for (const id of predicted.keys()) {
        if (seen.has(id)) continue;
        unknownIdentifiers++;
        if (unknownIdentifierExamples.length < maxExamples) unknownIdentifierExamples.push(id);
      }

      return {
        identifiers: ids.length,
        notIndexed,
        predictedPairs,
        samePersonPairs,
        falseMergePairs: predictedPairs - samePersonPairs,
        linkablePairs,
        linkedPairs,
        missedLinkPairs: linkablePairs - linkedPairs,
        precision,
        recall,
        f1,
        falseMergeProfiles: mixed.length,
        splitComponents: split.length,
        falseMergeExamples: [...mergeExamples].map(([profile, people]) => ({
          profile,
          people: Object.fromEntries(people),
        })),
        missedLinkExamples: [...splitExamples].map(([component, into]) => ({
          component,
          profiles: Object.fromEntries(into),
        })),
        unknownIdentifiers,
        unknownIdentifierExamples,
        shared: { ...shared, elsewhereExamples },
      };
    },
  };
}

export function computePairwiseAccuracy(
  truth: Iterable<TruthEntry>,
  predicted: ReadonlyMap<string, string>,
  options?: AccuracyOptions,
): AccuracyReport {
  const accumulator = createAccuracyAccumulator(predicted, options);
  for (const entry of truth) accumulator.add(entry);
  return accumulator.finish();
}

/** For the truth file read with `readTruth`. */
export async function computePairwiseAccuracyFromStream(
  truth: AsyncIterable<TruthEntry>,
  predicted: ReadonlyMap<string, string>,
  options?: AccuracyOptions,
): Promise<AccuracyReport> {
  const accumulator = createAccuracyAccumulator(predicted, options);
  for await (const entry of truth) accumulator.add(entry);
  return accumulator.finish();
}
