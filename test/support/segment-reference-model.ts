// Reference model of the segment engine: plain TypeScript over the whole raw history, no buckets,
// no pruning, no merge folding, no schedule. Merges are a union-find; each surviving profile is
// evaluated on every distinct event of every profile that merged into it. It shares with the product
// only the value rules (value-comparison.ts, flat-json.ts), which the SQL test checks on its own.
import type { Bounds } from '../../services/common/definitions/kinds/conditions';
import type { ComputedTraitDefinition } from '../../services/common/definitions/kinds/computed-trait';
import type { Condition, SegmentDefinition } from '../../services/common/definitions/kinds/segment';
import { flattenProperties, flattenTraits } from '../../services/common/events/flat-json';
import {
  compareBytes,
  flatComputed,
  matchesValue,
  numberOf,
} from '../../services/segment-engine/value-comparison';

const DAY = 86_400_000;

export interface RefEvent {
  messageId: string;
  profileId: string;
  event: string;
  timestamp: number;
  properties: Record<string, unknown>;
}

export type HistoryOp =
  | { op: 'event'; event: RefEvent }
  | { op: 'traits'; profileId: string; version: number; traits: Record<string, unknown> }
  | { op: 'merge'; loserId: string; survivorId: string }
  | { op: 'tick'; ms: number };

export interface RefResult {
  /** Surviving profile -> segments it is in, computed values (null: none). */
  profiles: Map<string, { segments: string[]; computed: Record<string, number | string | null> }>;
  /** Merged-away profile -> its root. */
  roots: Map<string, string>;
  /** Surviving profile -> its traits at the end. */
  traits: Map<string, Record<string, unknown>>;
}

function rootOf(parent: Map<string, string>, id: string): string {
  let r = id;
  while (parent.has(r)) r = parent.get(r)!;
  return r;
}

function within(bounds: Bounds, v: number | null): boolean {
  if (v === null) return false;
  return (
    (bounds.eq === undefined || v === bounds.eq) &&
    (bounds.gt === undefined || v > bounds.gt) &&
    (bounds.gte === undefined || v >= bounds.gte) &&
    (bounds.lt === undefined || v < bounds.lt) &&
    (bounds.lte === undefined || v <= bounds.lte)
  );
}

function selected(
  events: RefEvent[],
  filter: { event: string; where?: ComputedTraitDefinition['where']; within_days?: number },
  now: number,
): RefEvent[] {
  const firstDay =
    filter.within_days === undefined ? -Infinity : Math.floor(now / DAY) - filter.within_days + 1;
  return events.filter((e) => {
    if (e.event !== filter.event || Math.floor(e.timestamp / DAY) < firstDay) return false;
    const flat = flattenProperties(JSON.stringify(e.properties));
    return (filter.where ?? []).every((w) => {
      const i = flat.keys.indexOf(w.property);
      return matchesValue(i < 0 ? undefined : flat.values[i], w);
    });
  });
}

function texts(events: RefEvent[], property: string): { e: RefEvent; text: string }[] {
  const out: { e: RefEvent; text: string }[] = [];
  for (const e of events) {
    const flat = flattenProperties(JSON.stringify(e.properties));
    const i = flat.keys.indexOf(property);
    if (i >= 0) out.push({ e, text: flat.values[i]! });
  }
  return out;
}

export function referenceAggregate(
  events: RefEvent[],
  aggregate: ComputedTraitDefinition['aggregate'],
  property: string | undefined,
): number | string | null {
  if (aggregate === 'count') return events.length;
  const present = texts(events, property!);
  const nums = present.map((p) => numberOf(p.text)).filter((n): n is number => n !== null);
  const sum = nums.reduce((a, b) => a + b, 0);
  const byRank = [...present].sort((a, b) => {
    const sa = Math.floor(a.e.timestamp / 1000);
    const sb = Math.floor(b.e.timestamp / 1000);
    return sa !== sb ? sa - sb : a.e.messageId < b.e.messageId ? -1 : a.e.messageId > b.e.messageId ? 1 : 0;
  });
  switch (aggregate) {
    case 'sum':
      return sum;
    case 'avg':
      return nums.length === 0 ? null : sum / nums.length;
    case 'min':
      return nums.length === 0 ? null : Math.min(...nums);
    case 'max':
      return nums.length === 0 ? null : Math.max(...nums);
    case 'first':
      return byRank[0]?.text ?? null;
    case 'last':
      return byRank[byRank.length - 1]?.text ?? null;
    case 'unique_count':
      return new Set(present.map((p) => p.text)).size;
    case 'most_frequent': {
      const counts = new Map<string, number>();
      for (const p of present) counts.set(p.text, (counts.get(p.text) ?? 0) + 1);
      let best: string | null = null;
      for (const [t, n] of counts) {
        const bn = best === null ? 0 : counts.get(best)!;
        if (n > bn || (n === bn && best !== null && compareBytes(t, best) < 0)) best = t;
      }
      return best;
    }
  }
}

export function runReference(
  history: HistoryOp[],
  segments: SegmentDefinition[],
  traits: ComputedTraitDefinition[],
  start: number,
): { result: RefResult; now: number } {
  let now = start;
  const parent = new Map<string, string>();
  const seen = new Set<string>();
  const events: RefEvent[] = [];
  // Per profile and trait name: the value set by the highest version that touched it.
  const traitState = new Map<string, Map<string, { version: number; value: unknown }>>();
  const profiles = new Set<string>();
  for (const h of history) {
    if (h.op === 'tick') now += h.ms;
    else if (h.op === 'event') {
      profiles.add(h.event.profileId);
      if (!seen.has(h.event.messageId)) {
        seen.add(h.event.messageId);
        events.push(h.event);
      }
    } else if (h.op === 'traits') {
      profiles.add(h.profileId);
      const names = traitState.get(h.profileId) ?? new Map<string, { version: number; value: unknown }>();
      traitState.set(h.profileId, names);
      for (const [name, value] of Object.entries(h.traits)) {
        if ((names.get(name)?.version ?? 0) < h.version) names.set(name, { version: h.version, value });
      }
    } else {
      const l = rootOf(parent, h.loserId);
      const s = rootOf(parent, h.survivorId);
      if (l !== s && !parent.has(h.loserId)) parent.set(h.loserId, h.survivorId);
    }
  }
  const byId = new Map(segments.map((s) => [s.id, s]));
  const traitById = new Map(traits.map((t) => [t.id, t]));
  const result: RefResult = { profiles: new Map(), roots: new Map(), traits: new Map() };
  for (const p of [...profiles].sort()) {
    const root = rootOf(parent, p);
    if (root !== p) {
      result.roots.set(p, root);
      continue;
    }
    const mine = events.filter((e) => rootOf(parent, e.profileId) === p);
    const traitsNow = Object.fromEntries(
      [...(traitState.get(p) ?? new Map<string, { value: unknown }>())]
        .filter(([, v]) => v.value !== null)
        .map(([k, v]) => [k, v.value]),
    );
    result.traits.set(p, traitsNow);
    const flat = flattenTraits(traitsNow);
    const computed: Record<string, number | string | null> = {};
    for (const t of traits)
      computed[t.id] = referenceAggregate(selected(mine, t, now), t.aggregate, t.property);
    const holds = (c: Condition): boolean => {
      if ('and' in c) return c.and.every(holds);
      if ('or' in c) return c.or.some(holds);
      if ('not' in c) return !holds(c.not);
      if ('trait' in c) {
        const i = flat.keys.indexOf(c.trait);
        return matchesValue(i < 0 ? undefined : flat.values[i], c);
      }
      if ('segment' in c) return holds(byId.get(c.segment)!.condition);
      if ('computed' in c) {
        const t = traitById.get(c.computed)!;
        return matchesValue(
          flatComputed(referenceAggregate(selected(mine, t, now), t.aggregate, t.property)),
          c,
        );
      }
      const sel = selected(mine, c, now);
      if (c.sum) return within(c.sum, referenceAggregate(sel, 'sum', c.sum.property) as number);
      if (c.avg) return within(c.avg, referenceAggregate(sel, 'avg', c.avg.property) as number | null);
      if (c.min) return within(c.min, referenceAggregate(sel, 'min', c.min.property) as number | null);
      if (c.max) return within(c.max, referenceAggregate(sel, 'max', c.max.property) as number | null);
      return within(c.count ?? { gte: 1 }, sel.length);
    };
    result.profiles.set(p, {
      segments: segments
        .filter((s) => holds(s.condition))
        .map((s) => s.id)
        .sort(),
      computed,
    });
  }
  return { result, now };
}
