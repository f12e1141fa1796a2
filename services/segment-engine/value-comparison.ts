// How one flat value (a trait at a path, an event property, a computed trait) meets a condition.
// The rules are the SQL compiler's too (sql/compile-segment.ts), so both must change together:
// - a missing value satisfies only `not_exists` (every other operator is false, `neq` included);
// - a number in the condition compares numerically, and only with values that are decimal numbers;
// - a string that is an ISO instant (`YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss[.f]Z`) compares as an
//   instant, to the second, and only with values that are such instants;
// - other strings and booleans compare as text, byte by byte (UTF-8, as ClickHouse compares).
import type { Scalar, ValueComparison } from '../common/definitions/kinds/conditions';

const NUMBER = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z)?$/;

export function numberOf(text: string | undefined): number | null {
  if (text === undefined || !NUMBER.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** An instant as sortable text `YYYY-MM-DDThh:mm:ss` (seconds kept, fraction dropped), or null. */
export function instantOf(text: string | undefined): string | null {
  if (text === undefined || !INSTANT.test(text)) return null;
  return text.length === 10 ? `${text}T00:00:00` : text.slice(0, 19);
}

export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** -1, 0, 1, or null when the value does not compare with the target. */
function order(value: string, target: Scalar): number | null {
  if (typeof target === 'number') {
    const n = numberOf(value);
    return n === null ? null : Math.sign(n - target);
  }
  const text = typeof target === 'boolean' ? String(target) : target;
  const targetInstant = instantOf(text);
  if (targetInstant !== null) {
    const valueInstant = instantOf(value);
    return valueInstant === null ? null : Math.sign(compareBytes(valueInstant, targetInstant));
  }
  return Math.sign(compareBytes(value, text));
}

export function matchesValue(value: string | undefined, c: ValueComparison): boolean {
  if (c.op === 'exists') return value !== undefined;
  if (c.op === 'not_exists') return value === undefined;
  if (value === undefined) return false;
  const list = Array.isArray(c.value) ? c.value : [];
  const one = (Array.isArray(c.value) ? undefined : c.value) as Scalar;
  switch (c.op) {
    case 'eq':
      return order(value, one) === 0;
    case 'neq':
      return order(value, one) !== 0;
    case 'in':
      return list.some((t) => order(value, t) === 0);
    case 'not_in':
      return !list.some((t) => order(value, t) === 0);
    case 'gt':
      return order(value, one) === 1;
    case 'gte': {
      const o = order(value, one);
      return o === 1 || o === 0;
    }
    case 'lt':
      return order(value, one) === -1;
    case 'lte': {
      const o = order(value, one);
      return o === -1 || o === 0;
    }
    case 'contains':
      return value.includes(String(one));
    case 'starts_with':
      return value.startsWith(String(one));
  }
}

/** A computed trait's value as the flat text conditions read (null: missing). */
export function flatComputed(value: number | string | null): string | undefined {
  if (value === null) return undefined;
  return typeof value === 'number' ? String(value) : value;
}
