// A tenant's segments and computed traits compiled once into what evaluation needs: the event
// signatures (event name + where filter) whose day buckets the state keeps, which properties of each
// are aggregated, the windows that read them, and segments in dependency order.
import crypto from 'node:crypto';
import { canonicalJson } from '../common/events/canonical-json';
import type { StoredDefinition } from '../common/definitions/definition-kind';
import type { WhereItem } from '../common/definitions/kinds/conditions';
import type { ComputedTraitDefinition } from '../common/definitions/kinds/computed-trait';
import { walkCondition, type Condition, type SegmentDefinition } from '../common/definitions/kinds/segment';

export interface Signature {
  key: string;
  event: string;
  where: WhereItem[];
  /** Properties aggregated; `values` when a distinct count or most frequent value reads them. */
  properties: Record<string, { values: boolean }>;
  /** Windows (days) read; `unbounded` when a use has no window. */
  windows: number[];
  unbounded: boolean;
}

export interface PlannedSegment {
  id: string;
  version: number;
  condition: Condition;
}

export interface PlannedTrait {
  id: string;
  version: number;
  definition: ComputedTraitDefinition;
  signature: string;
}

export interface SegmentPlan {
  signatures: Map<string, Signature>;
  /** Dependencies first: a segment condition reads a segment evaluated before it. */
  segments: PlannedSegment[];
  traits: PlannedTrait[];
  /** The signature key of each event condition of the segments (by identity): hashed once, not per evaluation. */
  conditionSignatures: Map<object, string>;
  /**
   * The definitions' ids and versions, hashed. A state evaluated in full under this plan on a day
   * carries `<day>:<fingerprint>` (ProfileState.e): until either moves, a definition none of whose
   * inputs changed keeps the result last emitted, so a step evaluates only the definitions it touched.
   */
  fingerprint: string;
  /** Per segment id: the signatures and trait paths its condition reads, through segment references too. */
  reads: Map<string, { signatures: Set<string>; traitPaths: string[] }>;
  /** Selections by the signatures an event counted into (most events count into one or two). */
  selections: Map<string, Selection>;
}

/** The definitions a step must evaluate: the rest keep their last emitted result. */
export interface Selection {
  traits: PlannedTrait[];
  segments: PlannedSegment[];
}

export function signatureKey(event: string, where: WhereItem[] | undefined): string {
  const text = canonicalJson({ event, where: where ?? [] });
  return crypto.createHash('sha1').update(text).digest('base64url').slice(0, 12);
}

function topological(segments: StoredDefinition<SegmentDefinition>[]): StoredDefinition<SegmentDefinition>[] {
  const byId = new Map(segments.map((s) => [s.id, s]));
  const done = new Set<string>();
  const out: StoredDefinition<SegmentDefinition>[] = [];
  const visit = (s: StoredDefinition<SegmentDefinition>, trail: Set<string>): void => {
    if (done.has(s.id) || trail.has(s.id)) return; // a cycle was refused at apply; never loop
    trail.add(s.id);
    walkCondition(s.body.condition, [], (c) => {
      if ('segment' in c) {
        const dep = byId.get(c.segment);
        if (dep) visit(dep, trail);
      }
    });
    done.add(s.id);
    out.push(s);
  };
  for (const s of [...segments].sort((a, b) => a.id.localeCompare(b.id))) visit(s, new Set());
  return out;
}

export function buildPlan(
  segments: StoredDefinition<SegmentDefinition>[],
  traits: StoredDefinition<ComputedTraitDefinition>[],
): SegmentPlan {
  const signatures = new Map<string, Signature>();
  const use = (
    event: string,
    where: WhereItem[] | undefined,
    withinDays: number | undefined,
    property?: string,
    values = false,
  ): string => {
    const key = signatureKey(event, where);
    let sig = signatures.get(key);
    if (!sig) {
      sig = { key, event, where: where ?? [], properties: {}, windows: [], unbounded: false };
      signatures.set(key, sig);
    }
    if (withinDays === undefined) sig.unbounded = true;
    else if (!sig.windows.includes(withinDays)) sig.windows.push(withinDays);
    if (property !== undefined) {
      const p = (sig.properties[property] ??= { values: false });
      p.values ||= values;
    }
    return key;
  };
  const plannedTraits = [...traits]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((t) => ({
      id: t.id,
      version: t.version,
      definition: t.body,
      signature: use(
        t.body.event,
        t.body.where,
        t.body.within_days,
        t.body.property,
        t.body.aggregate === 'unique_count' || t.body.aggregate === 'most_frequent',
      ),
    }));
  const ordered = topological(segments);
  const conditionSignatures = new Map<object, string>();
  for (const s of ordered) {
    walkCondition(s.body.condition, [], (c) => {
      if ('event' in c) {
        const agg = c.sum ?? c.avg ?? c.min ?? c.max;
        conditionSignatures.set(c, use(c.event, c.where, c.within_days, agg?.property));
      }
    });
  }
  const traitSignature = new Map(plannedTraits.map((t) => [t.id, t.signature]));
  const reads = new Map<string, { signatures: Set<string>; traitPaths: string[] }>();
  for (const s of ordered) {
    const r = { signatures: new Set<string>(), traitPaths: [] as string[] };
    walkCondition(s.body.condition, [], (c) => {
      if ('event' in c) r.signatures.add(conditionSignatures.get(c)!);
      else if ('computed' in c) {
        const sig = traitSignature.get(c.computed);
        if (sig !== undefined) r.signatures.add(sig);
      } else if ('trait' in c) r.traitPaths.push(c.trait);
      else if ('segment' in c) {
        // Dependencies come first (topological order); a missing one reads nothing.
        const dep = reads.get(c.segment);
        if (dep) {
          for (const sig of dep.signatures) r.signatures.add(sig);
          r.traitPaths.push(...dep.traitPaths);
        }
      }
    });
    reads.set(s.id, r);
  }
  const fingerprint = crypto
    .createHash('sha1')
    .update(
      [...plannedTraits.map((t) => `t:${t.id}:${t.version}`), ...ordered.map((s) => `s:${s.id}:${s.version}`)]
        .sort()
        .join('\n'),
    )
    .digest('base64url')
    .slice(0, 8);
  return {
    signatures,
    segments: ordered.map((s) => ({ id: s.id, version: s.version, condition: s.body.condition })),
    traits: plannedTraits,
    conditionSignatures,
    fingerprint,
    reads,
    selections: new Map(),
  };
}

/** A changed trait name touches a path that is it, lies inside it, or holds it (dotted paths of nested objects). */
function touchesPath(name: string, path: string): boolean {
  return name === path || path.startsWith(`${name}.`) || name.startsWith(`${path}.`);
}

/** The definitions that read any of the signatures or trait names (in plan order, as a full evaluation emits). */
export function selectionFor(plan: SegmentPlan, signatureKeys: string[], traitNames: string[]): Selection {
  const cacheKey = traitNames.length === 0 ? signatureKeys.join(',') : undefined;
  const cached = cacheKey === undefined ? undefined : plan.selections.get(cacheKey);
  if (cached) return cached;
  const sigs = new Set(signatureKeys);
  const selection: Selection = {
    traits: plan.traits.filter((t) => sigs.has(t.signature)),
    segments: plan.segments.filter((s) => {
      const r = plan.reads.get(s.id);
      if (r === undefined) return true;
      for (const sig of sigs) if (r.signatures.has(sig)) return true;
      return traitNames.some((n) => r.traitPaths.some((p) => touchesPath(n, p)));
    }),
  };
  if (cacheKey !== undefined) plan.selections.set(cacheKey, selection);
  return selection;
}

/** The event names a segment or computed trait body reads (what a backfill takes from history). */
export function definitionEventNames(body: unknown): string[] {
  const names = new Set<string>();
  const b = body as { kind?: string; event?: unknown; condition?: Condition } | undefined;
  if (b?.kind === 'computed_trait' && typeof b.event === 'string') names.add(b.event);
  if (b?.kind === 'segment' && b.condition !== undefined)
    walkCondition(b.condition, [], (c) => {
      if ('event' in c) names.add(c.event);
    });
  return [...names];
}
