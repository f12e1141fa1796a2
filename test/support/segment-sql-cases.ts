// A fixed set of profiles, events and conditions covering every aggregate and operator family, with
// the engine's members for each: the SQL test (18.16) and the compatibility test (current ClickHouse)
// check the compiled SQL against them.
import { computedTraitSchema } from '../../services/common/definitions/kinds/computed-trait';
import { segmentSchema, type SegmentDefinition } from '../../services/common/definitions/kinds/segment';
import { flattenProperties } from '../../services/common/events/flat-json';
import { eventRow } from '../../services/clickhouse-sink/event-rows';
import { profileRows } from '../../services/clickhouse-sink/profile-rows';
import { evaluateProfile } from '../../services/segment-engine/evaluate-profile';
import {
  applyEvent,
  emptyState,
  pruneBuckets,
  type ProfileState,
} from '../../services/segment-engine/profile-state';
import type { CompileContext } from '../../services/segment-engine/sql/compile-segment';
import { DAY, planOf, trackEvent } from './segment-fixtures';

export const tenant = 'segsql';
export const NOW = Date.UTC(2026, 2, 15, 23, 59, 0);

export const traits: Record<string, Record<string, unknown>> = {
  p1: { country: 'DE', plan: 'pro', age: 31, signup: '2025-01-02T10:00:00Z', address: { city: 'Berlin' } },
  p2: { country: 'AT', plan: 'free', age: '31', signup: '2026-03-01' },
  p3: { country: 'FR', tags: ['a', 'b'], 'na\u00efve': 'ü' },
  p4: {},
};
export const events = [
  ['p1', 'o1', 'Order Completed', NOW - 0 * DAY, { total: 40, sku: 'A' }],
  ['p1', 'o2', 'Order Completed', NOW - 29 * DAY, { total: 70, sku: 'B' }],
  ['p1', 'o3', 'Order Completed', NOW - 30 * DAY, { total: 5, sku: 'B' }],
  ['p2', 'o4', 'Order Completed', NOW - 1 * DAY, { total: '12.5', sku: 'A' }],
  ['p2', 'o5', 'Order Completed', NOW - 2 * DAY, { total: 'n/a', sku: 'A' }],
  ['p2', 'o6', 'Subscription Cancelled', NOW - 3 * DAY, {}],
  ['p3', 'o7', 'Order Completed', NOW + DAY, { total: 1, sku: "it's" }],
  ['p3', 'o8', 'Page Viewed', NOW, { path: '/x' }],
] as const;

export const computed = [
  { kind: 'computed_trait', id: 'revenue', event: 'Order Completed', aggregate: 'sum', property: 'total' },
  {
    kind: 'computed_trait',
    id: 'avg30',
    event: 'Order Completed',
    within_days: 30,
    aggregate: 'avg',
    property: 'total',
  },
  { kind: 'computed_trait', id: 'first_sku', event: 'Order Completed', aggregate: 'first', property: 'sku' },
  { kind: 'computed_trait', id: 'last_sku', event: 'Order Completed', aggregate: 'last', property: 'sku' },
  {
    kind: 'computed_trait',
    id: 'top_sku',
    event: 'Order Completed',
    aggregate: 'most_frequent',
    property: 'sku',
  },
  {
    kind: 'computed_trait',
    id: 'skus',
    event: 'Order Completed',
    aggregate: 'unique_count',
    property: 'sku',
  },
  { kind: 'computed_trait', id: 'max_total', event: 'Order Completed', aggregate: 'max', property: 'total' },
];
export const conditions: unknown[] = [
  { trait: 'country', op: 'in', value: ['DE', 'AT'] },
  { trait: 'country', op: 'neq', value: 'DE' },
  { trait: 'age', op: 'gte', value: 31 },
  { trait: 'age', op: 'eq', value: '31' },
  { trait: 'signup', op: 'lt', value: '2026-01-01T00:00:00Z' },
  { trait: 'address.city', op: 'starts_with', value: 'Ber' },
  { trait: 'plan', op: 'not_exists' },
  { trait: 'plan', op: 'not_in', value: ['pro'] },
  { trait: 'tags', op: 'contains', value: '"b"' },
  { event: 'Order Completed', within_days: 30, count: { gte: 2 } },
  { event: 'Order Completed', within_days: 1 },
  { event: 'Order Completed', sum: { property: 'total', gt: 100 } },
  { event: 'Order Completed', min: { property: 'total', lte: 12.5 } },
  { event: 'Order Completed', where: [{ property: 'sku', op: 'eq', value: 'A' }], count: { eq: 2 } },
  { not: { event: 'Subscription Cancelled', within_days: 30 } },
  { computed: 'revenue', op: 'gte', value: 100 },
  { computed: 'avg30', op: 'exists' },
  { computed: 'first_sku', op: 'eq', value: 'B' },
  { computed: 'last_sku', op: 'eq', value: 'A' },
  { computed: 'top_sku', op: 'eq', value: 'A' },
  { computed: 'skus', op: 'eq', value: 2 },
  { computed: 'max_total', op: 'lt', value: 50 },
  { or: [{ segment: 'base' }, { trait: 'country', op: 'eq', value: 'FR' }] },
];
export const base = { kind: 'segment', id: 'base', condition: { trait: 'country', op: 'eq', value: 'DE' } };

export function sqlCaseRows(): { profiles: object[]; events: object[] } {
  const profiles = Object.entries(traits).map(
    ([id, t], i) =>
      profileRows({
        tenant,
        profileId: id,
        version: 1,
        traits: JSON.stringify(t),
        identifiers: [`user_id:${id}`],
        firstSeen: NOW,
        lastSeen: NOW,
        updatedAt: NOW + i,
        mergedInto: null,
      } as never).profile,
  );
  const rows = events.map(([p, m, e, at, props]) => eventRow(trackEvent(tenant, p, m, e, at, props)));
  return { profiles, events: rows };
}

export function sqlCaseContext(database: string): CompileContext {
  return {
    database,
    tenant,
    now: NOW,
    segments: new Map<string, SegmentDefinition>([['base', segmentSchema.parse(base)]]),
    traits: new Map(computed.map((c) => [c.id, computedTraitSchema.parse(c)])),
  };
}

export function engineMembers(segment: unknown): string[] {
  const plan = planOf(tenant, [base, ...computed, segment]);
  const members: string[] = [];
  for (const [id, t] of Object.entries(traits)) {
    const state: ProfileState = { ...emptyState(), traits: t };
    for (const [p, m, e, at, props] of events) {
      if (p === id)
        applyEvent(
          state,
          plan,
          { messageId: m, event: e, timestamp: at, properties: flattenProperties(JSON.stringify(props)) },
          NOW,
        );
    }
    pruneBuckets(state, plan, NOW);
    if (evaluateProfile(state, plan, NOW).segments.s) members.push(id);
  }
  return members.sort();
}
