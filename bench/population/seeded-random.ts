// The only source of randomness of the synthetic population: one seeded generator, so a seed and
// options replay the same stream byte for byte.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface SeededRandom {
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** Float in [0, 1). */
  float(): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A random (version 4 shaped) UUID: message ids must differ between seeds. */
  uuid(): string;
}

export function createSeededRandom(seed: number): SeededRandom {
  const rng = xoroshiro128plus(seed);
  const hex32 = (): string => (rng.next() >>> 0).toString(16).padStart(8, '0');
  return {
    int: (min, max) => uniformInt(rng, min, max),
    float: () => uniformFloat64(rng),
    chance: (probability) => uniformFloat64(rng) < probability,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[uniformInt(rng, 0, items.length - 1)] as T;
    },
    uuid() {
      const h = hex32() + hex32() + hex32() + hex32();
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
}
