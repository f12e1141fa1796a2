import fc from 'fast-check';
import { toWellFormedJson } from '../../../services/common/events/well-formed-json';

const native = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

describe('toWellFormedJson', () => {
  it('replaces lone surrogates in strings exactly as String.prototype.toWellFormed does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(toWellFormedJson(s)).toBe(native(s));
      }),
      { numRuns: 1000 },
    );
    expect(toWellFormedJson('a\ud800b')).toBe('a\ufffdb');
    expect(toWellFormedJson('\udc00\ud83d\ude00\ud83d')).toBe('\ufffd\ud83d\ude00\ufffd');
  });

  it('repairs values and keys at any depth and leaves the input untouched', () => {
    const input = { k: '\ud800', list: [1, { '\udfff': ['x\ud800'] }], ok: 'fine', n: null };
    const snapshot = JSON.stringify(input);
    const out = toWellFormedJson(input);
    expect(out).toEqual({ k: '\ufffd', list: [1, { '\ufffd': ['x\ufffd'] }], ok: 'fine', n: null });
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(Buffer.from(JSON.stringify(out), 'utf8').toString('utf8')).toBe(JSON.stringify(out));
  });

  it('returns the same value when nothing needs repair', () => {
    const input = { a: [1, 'b', { c: '\ud83d\ude00' }] };
    expect(toWellFormedJson(input)).toBe(input);
  });

  it('keeps "__proto__" an own key, as JSON.parse does', () => {
    const input = JSON.parse('{"__proto__":{"x":"\\ud800"}}') as Record<string, unknown>;
    const out = toWellFormedJson(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":"\ufffd"}}');
  });

  it('repairs a JSON text that spells the surrogate as an escape, by parse and stringify', () => {
    const text = '{"k":"\\ud800"}';
    expect(JSON.stringify(toWellFormedJson(JSON.parse(text)))).toBe('{"k":"\ufffd"}');
  });

  it('is the identity for well-formed JSON and iterative on deep values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(toWellFormedJson(v)).toBe(v);
      }),
    );
    const deep = JSON.parse(`${'['.repeat(50_000)}"\\ud800"${']'.repeat(50_000)}`) as unknown;
    let out = toWellFormedJson(deep) as unknown;
    for (let i = 0; i < 50_000; i++) out = (out as unknown[])[0];
    expect(out).toBe('\ufffd');
  });
});
