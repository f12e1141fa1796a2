// Evaluation of a profile against a tenant's plan at one instant: every computed trait's value and
// every segment's membership, or only those of a selection (what a step touched; what they reference
// is evaluated as needed). Pure; the reference model in test/support checks it from raw history.
import { flattenTraits } from '../common/events/flat-json';
import type { Bounds } from '../common/definitions/kinds/conditions';
import type { ComputedTraitDefinition } from '../common/definitions/kinds/computed-trait';
import type { Condition } from '../common/definitions/kinds/segment';
import { windowTotal, type Bucket, type ProfileState, type Ranked } from './profile-state';
import { signatureKey, type SegmentPlan, type Selection } from './segment-plan';
import { compareBytes, flatComputed, matchesValue } from './value-comparison';

export type ComputedResult = number | string | null;

export interface Evaluation {
  segments: Record<string, boolean>;
  computed: Record<string, ComputedResult>;
}

export function withinBounds(value: number | null, bounds: Bounds): boolean {
  if (value === null) return false;
  return (
    (bounds.eq === undefined || value === bounds.eq) &&
    (bounds.gt === undefined || value > bounds.gt) &&
    (bounds.gte === undefined || value >= bounds.gte) &&
    (bounds.lt === undefined || value < bounds.lt) &&
    (bounds.lte === undefined || value <= bounds.lte)
  );
}

function mostFrequent(vc: Record<string, number> | undefined): string | null {
  let best: string | null = null;
  let bestCount = 0;
  for (const [text, n] of Object.entries(vc ?? {})) {
    if (n > bestCount || (n === bestCount && best !== null && compareBytes(text, best) < 0)) {
      best = text;
      bestCount = n;
    }
  }
  return best;
}

/** Aggregates of one window total; what an aggregate is when nothing was counted is in docs/segments.md. */
export function aggregateOf(
  total: Bucket,
  aggregate: ComputedTraitDefinition['aggregate'],
  property?: string,
): ComputedResult {
  if (aggregate === 'count') return total.n;
  const p = property === undefined ? undefined : total.p[property];
  const ranked = (r: Ranked | null | undefined) => (r ? r[2] : null);
  switch (aggregate) {
    case 'sum':
      return p?.s ?? 0;
    case 'avg':
      return p && p.c > 0 ? p.s / p.c : null;
    case 'min':
      return p?.mn ?? null;
    case 'max':
      return p?.mx ?? null;
    case 'first':
      return ranked(p?.f);
    case 'last':
      return ranked(p?.l);
    case 'unique_count':
      return Object.keys(p?.vc ?? {}).length;
    case 'most_frequent':
      return mostFrequent(p?.vc);
  }
}

export function evaluateProfile(
  state: ProfileState,
  plan: SegmentPlan,
  now: number,
  selection: Selection = plan,
): Evaluation {
  // Traits and conditions often read the same window of the same signature: sum its buckets once.
  const totals = new Map<string, Bucket>();
  const totalOf = (sig: string, withinDays: number | undefined): Bucket => {
    const key = `${sig}|${withinDays ?? ''}`;
    let total = totals.get(key);
    if (total === undefined) totals.set(key, (total = windowTotal(state, sig, withinDays, now)));
    return total;
  };
  const computed: Record<string, ComputedResult> = {};
  const traitOf = (t: SegmentPlan['traits'][number]): ComputedResult => {
    const d = t.definition;
    return (computed[t.id] = aggregateOf(totalOf(t.signature, d.within_days), d.aggregate, d.property));
  };
  for (const t of selection.traits) traitOf(t);
  const computedValue = (id: string): ComputedResult => {
    if (Object.hasOwn(computed, id)) return computed[id]!;
    const t = plan.traits.find((x) => x.id === id);
    return t === undefined ? null : traitOf(t);
  };
  let flat: ReturnType<typeof flattenTraits> | undefined;
  const trait = (path: string) => {
    flat ??= flattenTraits(state.traits);
    const i = flat.keys.indexOf(path);
    return i < 0 ? undefined : flat.values[i];
  };
  const segments: Record<string, boolean> = {};
  const segmentValue = (id: string): boolean => {
    if (Object.hasOwn(segments, id)) return segments[id]!;
    const s = plan.segments.find((x) => x.id === id);
    return s === undefined ? false : (segments[id] = holds(s.condition));
  };
  const holds = (c: Condition): boolean => {
    if ('and' in c) return c.and.every(holds);
    if ('or' in c) return c.or.some(holds);
    if ('not' in c) return !holds(c.not);
    if ('trait' in c) return matchesValue(trait(c.trait), c);
    if ('computed' in c) return matchesValue(flatComputed(computedValue(c.computed)), c);
    if ('segment' in c) return segmentValue(c.segment);
    const total = totalOf(plan.conditionSignatures.get(c) ?? signatureKey(c.event, c.where), c.within_days);
    if (c.sum) return withinBounds(aggregateOf(total, 'sum', c.sum.property) as number, c.sum);
    if (c.avg) return withinBounds(aggregateOf(total, 'avg', c.avg.property) as number | null, c.avg);
    if (c.min) return withinBounds(aggregateOf(total, 'min', c.min.property) as number | null, c.min);
    if (c.max) return withinBounds(aggregateOf(total, 'max', c.max.property) as number | null, c.max);
    return withinBounds(total.n, c.count ?? { gte: 1 });
  };
  for (const s of selection.segments) segments[s.id] = holds(s.condition);
  return { segments, computed };
}
