import fc from 'fast-check';
import { MAX_JSON_DEPTH, jsonTextTooDeep, jsonTooDeepAt } from '../../../services/common/events/json-depth';

/** An object `levels` levels deep: {a:[{a:[...]}]} alternating objects and arrays. */
function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = levels; i >= 1; i--) value = i % 2 === 1 ? { a: value } : [value];
  return value;
}

describe('jsonTooDeepAt', () => {
  it('accepts exactly the limit and names the path of the first value past it', () => {
    expect(jsonTooDeepAt(nested(MAX_JSON_DEPTH))).toBeUndefined();
    const path = jsonTooDeepAt(nested(MAX_JSON_DEPTH + 1));
    expect(path).toHaveLength(MAX_JSON_DEPTH);
    expect(path?.slice(0, 4)).toEqual(['a', 0, 'a', 0]);
  });

  it('finds a deep branch beside shallow ones', () => {
    const value = { ok: { x: 1 }, deep: { b: [[[{}]]] } };
    expect(jsonTooDeepAt(value, 4)).toEqual(['deep', 'b', 0, 0]);
    expect(jsonTooDeepAt(value, 5)).toEqual(['deep', 'b', 0, 0, 0]);
    expect(jsonTooDeepAt(value, 6)).toBeUndefined();
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(jsonTooDeepAt(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)))).toHaveLength(MAX_JSON_DEPTH);
  });

  it('treats scalars as depth 0', () => {
    expect(jsonTooDeepAt('x', 0)).toBeUndefined();
    expect(jsonTooDeepAt(null, 0)).toBeUndefined();
    expect(jsonTooDeepAt({}, 0)).toEqual([]);
  });
});

describe('jsonTextTooDeep', () => {
  it('agrees with the parsed value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(jsonTextTooDeep(text, max)).toBe(jsonTooDeepAt(value, max) !== undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('ignores brackets and escaped quotes inside strings', () => {
    expect(jsonTextTooDeep(JSON.stringify({ k: '[[[[{{{{"\\' }), 1)).toBe(false);
    expect(jsonTextTooDeep(JSON.stringify({ k: '"', j: [1] }), 1)).toBe(true);
  });

  it('scans 15,000 levels', () => {
    expect(
      jsonTextTooDeep(JSON.stringify({ t: 1 }).replace('1', '['.repeat(15_000) + ']'.repeat(15_000))),
    ).toBe(true);
  });
});
