// One profile's segment state, as stored (JSON) in Redis: its traits, day buckets of aggregates per
// event signature, the messageIds already counted, and the last membership / computed value emitted
// with their versions. Plain functions over plain data; the store does the I/O.
import { isConsentTrait } from '../identity-resolver/consent-operations';
import type { FlatJson } from '../common/events/flat-json';
import { matchesValue, numberOf } from './value-comparison';
import type { SegmentPlan, Signature } from './segment-plan';

export const DAY_MS = 86_400_000;
/** The bucket that holds every day older than the longest window, for signatures read unbounded. */
export const OLD = 'old';

/** `[seconds, messageId, text]`: first/last order by event time in whole seconds, then messageId. */
export type Ranked = [number, string, string];

export interface PropertyAggregate {
  /** Numeric values counted, their sum, min and max. */
  c: number;
  s: number;
  mn: number | null;
  mx: number | null;
  f: Ranked | null;
  l: Ranked | null;
  /** Text -> count, only when a distinct count or most frequent value reads the property. */
  vc?: Record<string, number>;
}

export interface Bucket {
  n: number;
  p: Record<string, PropertyAggregate>;
}

export interface Membership {
  in: boolean;
  /** When the current membership began (entered) or ended (exited). */
  at: number;
  version: number;
}

export interface ComputedValue {
  /** JSON text of the value, null when none. */
  value: string | null;
  version: number;
}

export interface ProfileState {
  /** Bumped on every write: part of the ids of records emitted by time. */
  v: number;
  mergedInto?: string;
  traits: Record<string, unknown>;
  /**
   * Per trait name, the profile version of the change that last set (or unset) it. Profile changes
   * of one profile may arrive out of version order (the resolver works on events keyed by
   * identifier), so each name keeps the value of the highest version that touched it.
   */
  tv: Record<string, number>;
  /** signature key -> day number (UTC days since 1970) or OLD -> bucket. */
  b: Record<string, Record<string, Bucket>>;
  /**
   * Per signature, the messageIds counted in it and their day: an event counts once per signature
   * whichever way it comes (live, redelivered, merged in, or backfilled from ClickHouse). Ids of days
   * no window reads any more are dropped with their buckets (unbounded signatures keep them).
   */
  m: Record<string, Record<string, number>>;
  seg: Record<string, Membership>;
  ct: Record<string, ComputedValue>;
  /**
   * `<day>:<plan fingerprint>` of the last full evaluation (SegmentPlan.fingerprint): while both hold,
   * seg and ct are every definition's result and a step evaluates only what it touched. Absent in
   * states written before it (they are evaluated in full once).
   */
  e?: string;
}

export function emptyState(): ProfileState {
  return { v: 0, traits: {}, tv: {}, b: {}, m: {}, seg: {}, ct: {} };
}

/** Applies one profile change's trait deltas; false when every one of them was already superseded. */
export function applyTraitChanges(
  state: ProfileState,
  version: number,
  changes: { name: string; newValue: string | null }[],
): boolean {
  let changed = false;
  for (const t of changes) {
    // Consent rides on the profile as reserved trait entries; segments see only traits (as SQL does).
    if (isConsentTrait(t.name)) continue;
    if ((state.tv[t.name] ?? 0) >= version) continue;
    state.tv[t.name] = version;
    if (t.newValue === null) delete state.traits[t.name];
    else state.traits[t.name] = JSON.parse(t.newValue) as unknown;
    changed = true;
  }
  return changed;
}

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export interface EventInput {
  messageId: string;
  event: string;
  timestamp: number;
  properties: FlatJson;
}

function propertyText(props: FlatJson, name: string): string | undefined {
  const i = props.keys.indexOf(name);
  return i < 0 ? undefined : props.values[i];
}

export function matchesSignature(sig: Signature, e: EventInput): boolean {
  return (
    e.event === sig.event && sig.where.every((w) => matchesValue(propertyText(e.properties, w.property), w))
  );
}

function emptyAggregate(values: boolean): PropertyAggregate {
  const a: PropertyAggregate = { c: 0, s: 0, mn: null, mx: null, f: null, l: null };
  if (values) a.vc = {};
  return a;
}

function rankCompare(a: Ranked, b: Ranked): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function addValue(a: PropertyAggregate, text: string, rank: Ranked): void {
  const n = numberOf(text);
  if (n !== null) {
    a.c += 1;
    a.s += n;
    a.mn = a.mn === null ? n : Math.min(a.mn, n);
    a.mx = a.mx === null ? n : Math.max(a.mx, n);
  }
  if (a.f === null || rankCompare(rank, a.f) < 0) a.f = rank;
  if (a.l === null || rankCompare(rank, a.l) > 0) a.l = rank;
  if (a.vc) a.vc[text] = (a.vc[text] ?? 0) + 1;
}

function mergeAggregate(into: PropertyAggregate, from: PropertyAggregate): void {
  into.c += from.c;
  into.s += from.s;
  if (from.mn !== null) into.mn = into.mn === null ? from.mn : Math.min(into.mn, from.mn);
  if (from.mx !== null) into.mx = into.mx === null ? from.mx : Math.max(into.mx, from.mx);
  if (from.f && (into.f === null || rankCompare(from.f, into.f) < 0)) into.f = from.f;
  if (from.l && (into.l === null || rankCompare(from.l, into.l) > 0)) into.l = from.l;
  if (from.vc) {
    into.vc ??= {};
    for (const [k, n] of Object.entries(from.vc)) into.vc[k] = (into.vc[k] ?? 0) + n;
  }
}

export function mergeBucket(into: Bucket, from: Bucket): void {
  into.n += from.n;
  for (const [name, agg] of Object.entries(from.p)) {
    const target = (into.p[name] ??= emptyAggregate(agg.vc !== undefined));
    mergeAggregate(target, agg);
  }
}

/** The oldest day any window of the signature reads today; older days are folded or dropped. */
function oldestKept(sig: Signature, today: number): number {
  const longest = sig.windows.length === 0 ? 1 : Math.max(...sig.windows);
  return today - longest + 1;
}

/**
 * Counts an event into every signature it matches and has not counted it yet. False when nothing
 * changed: it was counted before, or no signature wants it (then nothing is remembered either: a
 * redelivery is handled the same way). The keys of the signatures it counted into go to `countedInto`.
 */
export function applyEvent(
  state: ProfileState,
  plan: SegmentPlan,
  e: EventInput,
  now: number,
  countedInto?: string[],
): boolean {
  const day = dayOf(e.timestamp);
  const rank = (text: string): Ranked => [Math.floor(e.timestamp / 1000), e.messageId, text];
  let counted = false;
  for (const sig of plan.signatures.values()) {
    if (!matchesSignature(sig, e)) continue;
    const ids = (state.m[sig.key] ??= {});
    if (ids[e.messageId] !== undefined) continue;
    const kept = oldestKept(sig, dayOf(now));
    if (day < kept && !sig.unbounded) continue;
    const buckets = (state.b[sig.key] ??= {});
    const bucket = (buckets[day < kept ? OLD : String(day)] ??= { n: 0, p: {} });
    bucket.n += 1;
    for (const [name, want] of Object.entries(sig.properties)) {
      const text = propertyText(e.properties, name);
      if (text === undefined) continue;
      addValue((bucket.p[name] ??= emptyAggregate(want.values)), text, rank(text));
    }
    ids[e.messageId] = day;
    countedInto?.push(sig.key);
    counted = true;
  }
  return counted;
}

/** Folds days no window reads any more into OLD (unbounded signatures) or drops them; drops unused signatures. */
export function pruneBuckets(state: ProfileState, plan: SegmentPlan, now: number): void {
  for (const key of Object.keys(state.m)) {
    const sig = plan.signatures.get(key);
    if (sig === undefined) {
      delete state.m[key];
      continue;
    }
    if (sig.unbounded) continue;
    const kept = oldestKept(sig, dayOf(now));
    const ids = state.m[key]!;
    for (const [id, day] of Object.entries(ids)) if (day < kept) delete ids[id];
  }
  for (const key of Object.keys(state.b)) {
    const sig = plan.signatures.get(key);
    if (sig === undefined) {
      delete state.b[key];
      continue;
    }
    const kept = oldestKept(sig, dayOf(now));
    const buckets = state.b[key]!;
    for (const day of Object.keys(buckets)) {
      if (day === OLD || Number(day) >= kept) continue;
      if (sig.unbounded) mergeBucket((buckets[OLD] ??= { n: 0, p: {} }), buckets[day]!);
      delete buckets[day];
    }
  }
}

/** The survivor takes the loser's buckets and counted ids (its traits come with its own 'merged' change). */
export function foldInto(survivor: ProfileState, loser: ProfileState): void {
  for (const [key, buckets] of Object.entries(loser.b)) {
    const target = (survivor.b[key] ??= {});
    for (const [day, bucket] of Object.entries(buckets)) {
      const into = (target[day] ??= { n: 0, p: {} });
      mergeBucket(into, bucket);
    }
  }
  for (const [key, ids] of Object.entries(loser.m)) Object.assign((survivor.m[key] ??= {}), ids);
}

/** The sum of the signature's buckets a window of `withinDays` (undefined: all) reads at `now`. */
export function windowTotal(
  state: ProfileState,
  sigKey: string,
  withinDays: number | undefined,
  now: number,
): Bucket {
  const total: Bucket = { n: 0, p: {} };
  const first = withinDays === undefined ? -Infinity : dayOf(now) - withinDays + 1;
  for (const [day, bucket] of Object.entries(state.b[sigKey] ?? {})) {
    const inWindow = day === OLD ? withinDays === undefined : Number(day) >= first;
    if (inWindow) mergeBucket(total, bucket);
  }
  return total;
}

/**
 * The next moment (ms) a window stops reading a day that holds data, after `now`: a day d leaves a
 * window of N days at the start of UTC day d + N. Null when no window will change.
 */
export function nextExpiry(state: ProfileState, plan: SegmentPlan, now: number): number | null {
  let next: number | null = null;
  const today = dayOf(now);
  for (const [key, buckets] of Object.entries(state.b)) {
    const sig = plan.signatures.get(key);
    if (!sig) continue;
    for (const day of Object.keys(buckets)) {
      if (day === OLD) continue;
      for (const n of sig.windows) {
        const leaves = Number(day) + n;
        if (leaves > today && (next === null || leaves * DAY_MS < next)) next = leaves * DAY_MS;
      }
    }
  }
  return next;
}
