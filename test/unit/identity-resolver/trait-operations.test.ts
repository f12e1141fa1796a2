import fc from 'fast-check';
import type { IdentityEventInput } from '../../../services/identity-resolver/identity-event';
import {
  canonicalJson,
  decodeTraitEntry,
  encodeTraitEntry,
  extractTraitOperations,
  traitEntryWins,
  type TraitEntry,
} from '../../../services/identity-resolver/trait-operations';

function identify(traits: unknown, type = 'identify'): IdentityEventInput {
  return { messageId: 'm', tenant: 'demo', type, timestamp: '2025-01-01T00:00:00Z', traits };
}

describe('extractTraitOperations', () => {
  test('plain traits set; $set, $set_once and $unset are operators', () => {
    const { operations, warnings } = extractTraitOperations(
      identify({
        plan: 'pro',
        tags: ['b', 'a'],
        $set: { age: 3 },
        $set_once: { source: 'ads' },
        $unset: ['coupon'],
      }),
    );
    expect(operations).toEqual([
      { name: 'plan', kind: 'set', value: '"pro"' },
      { name: 'tags', kind: 'set', value: '["b","a"]' },
      { name: 'age', kind: 'set', value: '3' },
      { name: 'source', kind: 'set_once', value: '"ads"' },
      { name: 'coupon', kind: 'unset' },
    ]);
    expect(warnings).toEqual([]);
  });

  test('one trait named twice in one event: unset beats set beats set_once', () => {
    const { operations } = extractTraitOperations(
      identify({ $set_once: { a: 1, b: 1 }, a: 2, $unset: ['b', 'c'], c: 3 }),
    );
    expect(operations).toEqual([
      { name: 'a', kind: 'set', value: '2' },
      { name: 'b', kind: 'unset' },
      { name: 'c', kind: 'unset' },
    ]);
  });

  test('null is a value; only identify changes traits', () => {
    expect(extractTraitOperations(identify({ x: null })).operations).toEqual([
      { name: 'x', kind: 'set', value: 'null' },
    ]);
    expect(extractTraitOperations(identify({ x: 1 }, 'track')).operations).toEqual([]);
    expect(extractTraitOperations(identify({ x: 1 }, 'group')).operations).toEqual([]);
  });

  test('malformed operators and names are refused with warnings', () => {
    const { operations, warnings } = extractTraitOperations(
      identify({ $unset: 'x', $set: 5, $weird: 1, ['']: 1, ok: true }),
    );
    expect(operations).toEqual([{ name: 'ok', kind: 'set', value: 'true' }]);
    expect(warnings).toHaveLength(4);
    expect(warnings.every((w) => w.code === 'invalid_trait')).toBe(true);
  });
});

describe('canonicalJson', () => {
  test('sorts object keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  test('equal values have equal text whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const reparsed: unknown = JSON.parse(JSON.stringify(value));
        expect(canonicalJson(reparsed)).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(reparsed);
      }),
    );
  });
});

describe('traitEntryWins', () => {
  const set = (ts: number): TraitEntry => ({ kind: 'set', ts, value: '1' });
  const once = (ts: number): TraitEntry => ({ kind: 'set_once', ts, value: '1' });
  const unset = (ts: number): TraitEntry => ({ kind: 'unset', ts });

  test('set: last writer wins by event time; ties keep what is stored', () => {
    expect(traitEntryWins(set(10), set(11))).toBe(true);
    expect(traitEntryWins(set(10), set(9))).toBe(false);
    expect(traitEntryWins(set(10), set(10))).toBe(false);
    expect(traitEntryWins(undefined, set(1))).toBe(true);
    expect(traitEntryWins(unset(10), set(9))).toBe(false);
    expect(traitEntryWins(once(10), set(1))).toBe(true);
  });

  test('unset: newer wins, older is ignored', () => {
    expect(traitEntryWins(set(10), unset(11))).toBe(true);
    expect(traitEntryWins(set(10), unset(9))).toBe(false);
    expect(traitEntryWins(undefined, unset(9))).toBe(true);
  });

  test('set_once: fills a gap, the earliest one sticks, never replaces a set', () => {
    expect(traitEntryWins(undefined, once(5))).toBe(true);
    expect(traitEntryWins(once(5), once(4))).toBe(true);
    expect(traitEntryWins(once(5), once(6))).toBe(false);
    expect(traitEntryWins(set(1), once(0))).toBe(false);
    expect(traitEntryWins(unset(5), once(6))).toBe(true);
    expect(traitEntryWins(unset(5), once(4))).toBe(false);
  });

  test('entries round-trip through the Redis storage form', () => {
    const entries: TraitEntry[] = [
      { kind: 'set', ts: 1735689600123, value: '{"a":"x|y"}' },
      { kind: 'set_once', ts: -5, value: '"z"' },
      { kind: 'unset', ts: 0 },
    ];
    for (const entry of entries) expect(decodeTraitEntry(encodeTraitEntry(entry))).toEqual(entry);
    expect(encodeTraitEntry(entries[0]!)).toBe('s1735689600123|{"a":"x|y"}');
    expect(() => decodeTraitEntry('x12|1')).toThrow('corrupt trait entry');
  });
});
