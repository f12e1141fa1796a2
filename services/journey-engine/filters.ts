// Filters of triggers, waits and exit rules on event properties, and branch conditions on profile
// facts: one comparison for both. A missing value matches only `not_exists` and `neq`.
import type { Condition, Where } from '../common/definitions/kinds/journey';

type Op = Where['op'];

/** A dotted path into an object: `a.b` reads `{a:{b:1}}`; an exact key with a dot wins. */
export function valueAt(object: Record<string, unknown>, path: string): unknown {
  if (path in object) return object[path];
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function ordered(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

export function compare(actual: unknown, op: Op, expected: unknown): boolean {
  const present = actual !== undefined && actual !== null;
  switch (op) {
    case 'exists':
      return present;
    case 'not_exists':
      return !present;
    case 'eq':
      return present && actual === expected;
    case 'neq':
      return actual !== expected;
    case 'in':
      return present && Array.isArray(expected) && expected.includes(actual as never);
    case 'contains':
      if (typeof actual === 'string' && typeof expected === 'string') return actual.includes(expected);
      return Array.isArray(actual) && actual.includes(expected);
    default: {
      const d = ordered(actual, expected);
      if (d === undefined) return false;
      return op === 'gt' ? d > 0 : op === 'gte' ? d >= 0 : op === 'lt' ? d < 0 : d <= 0;
    }
  }
}

export function matchesWhere(where: readonly Where[], properties: Record<string, unknown>): boolean {
  return where.every((w) => compare(valueAt(properties, w.property), w.op, w.value));
}

/** What a branch reads about a profile (see profile-facts.ts). */
export interface FactsSnapshot {
  traits: Record<string, unknown>;
  computed: Record<string, unknown>;
  segments: readonly string[];
}

export function matchesCondition(condition: Condition, facts: FactsSnapshot): boolean {
  if ('trait' in condition)
    return compare(valueAt(facts.traits, condition.trait), condition.op, condition.value);
  if ('computed' in condition)
    return compare(facts.computed[condition.computed], condition.op, condition.value);
  if ('segment' in condition) return facts.segments.includes(condition.segment);
  return !facts.segments.includes(condition.not_segment);
}
