// fast-check arbitraries for the segment property test: small universes of event names, properties,
// traits and profiles, so random definitions and random histories meet often.
import fc from 'fast-check';
import type { ComputedTraitDefinition } from '../../services/common/definitions/kinds/computed-trait';
import { TRAIT_AGGREGATES } from '../../services/common/definitions/kinds/computed-trait';
import type { Condition, SegmentDefinition } from '../../services/common/definitions/kinds/segment';
import type { HistoryOp } from './segment-reference-model';

const DAY = 86_400_000;
export const EVENTS = ['A', 'B'];
export const PROFILES = ['p1', 'p2', 'p3', 'p4'];
const propValue = fc.oneof(
  fc.integer({ min: -3, max: 9 }),
  fc.constantFrom('a', 'b', '7', 'x y'),
  fc.constant(true),
);
const traitValue = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom('a', 'b', '2026-01-05', '2026-01-05T10:00:00Z'),
  fc.constant(null),
);
const scalar = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('a', 'b', '7', '2026-01-05'));
const days = fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined });
const bounds = fc
  .record({ op: fc.constantFrom('eq', 'gt', 'gte', 'lt', 'lte'), v: fc.integer({ min: 0, max: 12 }) })
  .map(({ op, v }) => ({ [op]: v }));

const valueComparison = fc.oneof(
  fc.record({ op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: scalar }),
  fc.record({ op: fc.constantFrom('in', 'not_in'), value: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constantFrom('exists', 'not_exists') }),
  fc.record({ op: fc.constantFrom('contains', 'starts_with'), value: fc.constantFrom('a', '7', '2026') }),
);
const where = fc.option(
  fc.array(
    valueComparison.map((c) => ({ property: 'x', ...c })),
    { maxLength: 1 },
  ),
  { nil: undefined },
);

export const computedTrait = (id: string): fc.Arbitrary<ComputedTraitDefinition> =>
  fc
    .record({
      event: fc.constantFrom(...EVENTS),
      where,
      within_days: days,
      aggregate: fc.constantFrom(...TRAIT_AGGREGATES),
      property: fc.constantFrom('x', 'y'),
    })
    .map((t) => {
      const body: Record<string, unknown> = {
        kind: 'computed_trait',
        id,
        event: t.event,
        aggregate: t.aggregate,
      };
      if (t.where) body.where = t.where;
      if (t.within_days) body.within_days = t.within_days;
      if (t.aggregate !== 'count') body.property = t.property;
      return body as unknown as ComputedTraitDefinition;
    });

function condition(traitIds: string[], segmentIds: string[]): fc.Arbitrary<Condition> {
  const leaf: fc.Arbitrary<Condition>[] = [
    valueComparison.chain((c) =>
      fc.constantFrom('t', 'n.k', 'missing').map((trait) => ({ trait, ...c }) as Condition),
    ),
    fc
      .record({
        event: fc.constantFrom(...EVENTS),
        where,
        within_days: days,
        agg: fc.constantFrom('count', 'sum', 'avg', 'min', 'max', 'bare'),
        b: bounds,
      })
      .map(({ event, where: w, within_days, agg, b }) => {
        const c: Record<string, unknown> = { event };
        if (w) c.where = w;
        if (within_days) c.within_days = within_days;
        if (agg === 'count') c.count = b;
        else if (agg !== 'bare') c[agg] = { property: 'x', ...b };
        return c as Condition;
      }),
  ];
  if (traitIds.length > 0)
    leaf.push(
      valueComparison.chain((c) =>
        fc.constantFrom(...traitIds).map((computed) => ({ computed, ...c }) as Condition),
      ),
    );
  if (segmentIds.length > 0) leaf.push(fc.constantFrom(...segmentIds).map((segment) => ({ segment })));
  const leafArb = fc.oneof(...leaf);
  return fc.oneof(
    { weight: 3, arbitrary: leafArb },
    { weight: 1, arbitrary: leafArb.map((c) => ({ not: c })) },
    { weight: 2, arbitrary: fc.array(leafArb, { minLength: 1, maxLength: 3 }).map((and) => ({ and })) },
    { weight: 2, arbitrary: fc.array(leafArb, { minLength: 1, maxLength: 3 }).map((or) => ({ or })) },
  );
}

export const definitionSet = fc.tuple(computedTrait('c0'), computedTrait('c1')).chain((traits) => {
  const ids = traits.map((t) => t.id);
  return fc.tuple(condition(ids, []), condition(ids, []), condition(ids, ['s0', 's1'])).map((conds) => ({
    traits,
    segments: conds.map((condition, i) => ({ kind: 'segment', id: `s${i}`, condition }) as SegmentDefinition),
  }));
});

export const history = (start: number): fc.Arbitrary<HistoryOp[]> => {
  const op: fc.Arbitrary<HistoryOp> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record({
          profileId: fc.constantFrom(...PROFILES),
          msg: fc.integer({ min: 0, max: 30 }),
          event: fc.constantFrom(...EVENTS),
          // Out of order: up to four days back, or a few hours ahead.
          offset: fc.integer({ min: -4 * 24, max: 6 }),
          x: fc.option(propValue, { nil: undefined }),
          y: fc.option(propValue, { nil: undefined }),
        })
        .map(({ profileId, msg, event, offset, x, y }) => {
          const properties: Record<string, unknown> = {};
          if (x !== undefined) properties.x = x;
          if (y !== undefined) properties.y = y;
          // The timestamp is filled in by the runner (relative to the clock at that point).
          return {
            op: 'event',
            event: { messageId: `m${msg}`, profileId, event, timestamp: offset * 3_600_000, properties },
          } as HistoryOp;
        }),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          profileId: fc.constantFrom(...PROFILES),
          t: traitValue,
          nk: fc.option(traitValue, { nil: undefined }),
        })
        .map(({ profileId, t, nk }) => {
          const traits: Record<string, unknown> = { t };
          if (nk !== undefined) traits.n = { k: nk };
          return { op: 'traits', profileId, version: 0, traits } as HistoryOp;
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...PROFILES), fc.constantFrom(...PROFILES))
        .map(([loserId, survivorId]) => ({ op: 'merge', loserId, survivorId }) as HistoryOp),
    },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 1, max: 40 }).map((h) => ({ op: 'tick', ms: h * 3_600_000 }) as HistoryOp),
    },
  );
  return fc.array(op, { minLength: 1, maxLength: 40 }).map((ops) => {
    // Every profile is created first (the resolver's 'created' change); versions count per profile;
    // an event's messageId keeps its first content, so a repeat is a redelivery; timestamps become absolute.
    const versions = new Map<string, number>();
    const out: HistoryOp[] = PROFILES.map((p) => {
      versions.set(p, 1);
      return { op: 'traits', profileId: p, version: 1, traits: {} } as HistoryOp;
    });
    const firstOf = new Map<string, HistoryOp & { op: 'event' }>();
    let now = start;
    for (const o of ops) {
      if (o.op === 'tick') now += o.ms;
      if (o.op === 'traits') {
        const v = versions.get(o.profileId)! + 1;
        versions.set(o.profileId, v);
        out.push({ ...o, version: v });
      } else if (o.op === 'event') {
        const first = firstOf.get(o.event.messageId);
        if (first) out.push(first);
        else {
          const e = {
            op: 'event',
            event: { ...o.event, timestamp: now + o.event.timestamp },
          } as HistoryOp & { op: 'event' };
          firstOf.set(o.event.messageId, e);
          out.push(e);
        }
      } else out.push(o);
    }
    // Changes of one profile may arrive out of version order: swap some adjacent pairs.
    for (let i = out.length - 2; i >= PROFILES.length; i--) {
      const a = out[i]!;
      const b = out[i + 1]!;
      if (
        a.op === 'traits' &&
        b.op === 'traits' &&
        a.profileId === b.profileId &&
        (a.version + b.version) % 3 === 0
      ) {
        out[i] = b;
        out[i + 1] = a;
      }
    }
    return out;
  });
};

export { DAY };
