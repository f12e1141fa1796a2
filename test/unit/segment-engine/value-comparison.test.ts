// The value rules of docs/segments.md ("Values and operators", the missing-value table), which the
// engine and the SQL compiler share.
import { instantOf, matchesValue, numberOf } from '../../../services/segment-engine/value-comparison';

describe('the missing-value table', () => {
  it.each([
    ['exists', undefined, false],
    ['not_exists', undefined, true],
    ['eq', 'x', false],
    ['neq', 'x', false],
    ['in', ['x'], false],
    ['not_in', ['x'], false],
    ['gt', 1, false],
    ['contains', 'x', false],
    ['starts_with', 'x', false],
  ] as const)('a missing value: %s is %s', (op, value, want) => {
    expect(matchesValue(undefined, { op, value: value as never })).toBe(want);
  });

  it('a present value that does not compare: only neq / not_in and text tests can hold', () => {
    expect(matchesValue('abc', { op: 'gt', value: 1 })).toBe(false);
    expect(matchesValue('abc', { op: 'eq', value: 1 })).toBe(false);
    expect(matchesValue('abc', { op: 'neq', value: 1 })).toBe(true);
    expect(matchesValue('abc', { op: 'not_in', value: [1, 2] })).toBe(true);
    expect(matchesValue('abc', { op: 'exists' })).toBe(true);
  });
});

describe('numbers, instants and text', () => {
  it('numbers compare numerically with decimal texts only', () => {
    expect(numberOf('10')).toBe(10);
    expect(numberOf('-1.5e3')).toBe(-1500);
    expect(numberOf(' 10')).toBeNull();
    expect(numberOf('0x10')).toBeNull();
    expect(numberOf('1e400')).toBeNull();
    expect(matchesValue('10', { op: 'gt', value: 9 })).toBe(true);
    expect(matchesValue('10', { op: 'gt', value: '9' })).toBe(false); // text: '10' < '9'
  });

  it('instants compare to the second, Z only, dates as midnight', () => {
    expect(instantOf('2026-01-05')).toBe('2026-01-05T00:00:00');
    expect(instantOf('2026-01-05T10:00:00.999Z')).toBe('2026-01-05T10:00:00');
    expect(instantOf('2026-01-05T10:00:00+02:00')).toBeNull();
    expect(matchesValue('2026-01-05T10:00:00.999Z', { op: 'eq', value: '2026-01-05T10:00:00Z' })).toBe(true);
    expect(matchesValue('2026-01-04T23:59:59Z', { op: 'lt', value: '2026-01-05' })).toBe(true);
    expect(matchesValue('yesterday', { op: 'lt', value: '2026-01-05' })).toBe(false);
  });

  it('text compares by UTF-8 bytes, as ClickHouse does', () => {
    // U+FF5E sorts before U+1F600 in UTF-8, after it in UTF-16 code units.
    expect(matchesValue('\uff5e', { op: 'lt', value: '\u{1f600}' })).toBe(true);
    expect(matchesValue('true', { op: 'eq', value: true })).toBe(true);
    expect(matchesValue('abc', { op: 'contains', value: 'b' })).toBe(true);
    expect(matchesValue('abc', { op: 'starts_with', value: 'b' })).toBe(false);
  });
});
