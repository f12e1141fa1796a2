// Property: for any sequence of events over a small universe of identifiers (blocked values,
// limit conflicts, aliases, reordered and far-future timestamps, trait and per-event caps,
// redeliveries before and after their outputs are acknowledged), the Redis graph (Lua) and the
// reference model (test/support/identity-reference-model.ts) give the same outcome for every
// event and end in the same profiles. Runs against the real Redis (CDP_REDIS_URL).
import fc from 'fast-check';
import type Redis from 'ioredis';
import type { IdentityEventInput } from '../../../services/identity-resolver/identity-event';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import type { IdentityOutcome } from '../../../services/identity-resolver/identity-outcome';
import {
  DEFAULT_IDENTITY_RULES,
  parseIdentityRules,
  type IdentityRules,
} from '../../../services/identity-resolver/identity-rules';
import { prepareResolution } from '../../../services/identity-resolver/prepare-resolution';
import { outcomeKey } from '../../../services/identity-resolver/redis-keys';
import { IdentityReferenceModel, type ModelOutcome } from '../../support/identity-reference-model';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../../support/identity-graph-fixtures';

const RUNS = Number(process.env.CDP_PROPERTY_RUNS ?? 200);

// Small pools so that events collide often; each pool holds blocked or equivalent spellings.
const USER_IDS = ['u1', 'u2', 'u3', 'null', '0'];
const ANONYMOUS_IDS = ['a1', 'a2', 'a3', 'a4', 'undefined'];
const EMAILS = ['e1@x.io', ' E1@X.io', 'e2@x.io', 'e3@x.io', 'not-an-email'];
const PHONES = ['+44 20 7946 0958', '+442079460958', '+44 20 7946 0959'];
const DEVICES = ['d1', 'D1', 'd2', '-1'];
const CRM_IDS = ['c1', 'c2'];
const TRAITS = ['plan', 'age', 'city'];

// Each identifier field is present one time in three: events link a few identifiers, as real ones do.
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const traitOps = fc
  .record({
    set: fc.dictionary(
      fc.constantFrom(...TRAITS),
      fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('x', 'y', null)),
      {
        maxKeys: 2,
      },
    ),
    once: optional(fc.dictionary(fc.constantFrom(...TRAITS), fc.integer({ min: 0, max: 3 }), { maxKeys: 2 })),
    unset: optional(fc.subarray(TRAITS, { maxLength: 2 })),
  })
  .map(({ set, once, unset }) => ({
    ...set,
    ...(once === undefined ? {} : { $set_once: once }),
    ...(unset === undefined ? {} : { $unset: unset }),
  }));

interface EventShape {
  type: string;
  userId: string | undefined;
  anonymousId: string | undefined;
  previousId: string | undefined;
  email: string | undefined;
  contextEmail: string | undefined;
  phone: string | undefined;
  device: string | undefined;
  crm: string | undefined;
  traits: Record<string, unknown>;
  second: number;
  /** Stamped far in the future: ordered as its receivedAt. */
  future: boolean;
}

const eventShape: fc.Arbitrary<EventShape> = fc.record({
  type: fc.constantFrom('identify', 'identify', 'track', 'alias', 'page'),
  userId: optional(fc.constantFrom(...USER_IDS)),
  anonymousId: optional(fc.constantFrom(...ANONYMOUS_IDS)),
  previousId: optional(fc.constantFrom(...ANONYMOUS_IDS)),
  email: optional(fc.constantFrom(...EMAILS)),
  contextEmail: optional(fc.constantFrom(...EMAILS)),
  phone: optional(fc.constantFrom(...PHONES)),
  device: optional(fc.constantFrom(...DEVICES)),
  crm: optional(fc.constantFrom(...CRM_IDS)),
  traits: traitOps,
  // Few distinct seconds: reordered and equal timestamps both happen.
  second: fc.integer({ min: 0, max: 30 }),
  future: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/** A step is a new event, the redelivery of an earlier one (same messageId, same payload), or the
 * acknowledgement of every output sent so far (stored outcomes released, as after a send). */
const step = fc.oneof(
  { weight: 10, arbitrary: eventShape.map((shape) => ({ kind: 'event' as const, shape })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'redeliver' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'acknowledge' as const }) },
);

const rulesArbitrary: fc.Arbitrary<IdentityRules> = fc.oneof(
  fc.constant(DEFAULT_IDENTITY_RULES),
  fc
    .record({
      // user_id limit 2 lets one profile hold two user_ids, yet two profiles with one each never merge.
      userId: fc.constantFrom(1, 2),
      email: fc.integer({ min: 1, max: 2 }),
      anonymous: fc.integer({ min: 1, max: 3 }),
      device: fc.integer({ min: 1, max: 2 }),
      maxIds: fc.integer({ min: 2, max: 8 }),
      maxMerges: fc.integer({ min: 0, max: 3 }),
      crmFirst: fc.boolean(),
      maxPerEvent: fc.integer({ min: 1, max: 6 }),
      maxTraits: fc.integer({ min: 1, max: 4 }),
      maxTraitBytes: fc.integer({ min: 10, max: 60 }),
    })
    .map((r) =>
      parseIdentityRules({
        limits: { user_id: r.userId, email: r.email, anonymous_id: r.anonymous, device_id: r.device },
        maxIdentifiersPerProfile: r.maxIds,
        maxMergesPerProfile: r.maxMerges,
        maxIdentifiersPerEvent: r.maxPerEvent,
        maxTraitsPerProfile: r.maxTraits,
        maxTraitBytesPerProfile: r.maxTraitBytes,
        ...(r.crmFirst ? { priority: ['crm_id', 'user_id', 'email', '*'] } : {}),
      }),
    ),
);

function toEvent(tenant: string, messageId: string, shape: EventShape): IdentityEventInput {
  const traits: Record<string, unknown> = { ...shape.traits };
  if (shape.email !== undefined) traits.email = shape.email;
  if (shape.phone !== undefined) traits.phone = shape.phone;
  const context: Record<string, unknown> = {};
  if (shape.contextEmail !== undefined) context.traits = { email: shape.contextEmail };
  if (shape.device !== undefined) context.device = { id: shape.device };
  if (shape.crm !== undefined) context.externalIds = [{ id: shape.crm, type: 'crm_id', collection: 'users' }];
  return {
    messageId,
    tenant,
    type: shape.type,
    userId: shape.userId,
    anonymousId: shape.anonymousId,
    previousId: shape.previousId,
    traits,
    context,
    timestamp: shape.future
      ? '9999-12-31T00:00:00.000Z'
      : new Date(Date.UTC(2025, 0, 1) + shape.second * 1000).toISOString(),
    receivedAt: new Date(Date.UTC(2025, 0, 1) + shape.second * 1000 + 500).toISOString(),
  };
}

function comparable(outcome: IdentityOutcome): ModelOutcome {
  return {
    status: outcome.status,
    profileId: outcome.profileId,
    version: outcome.version,
    created: outcome.created,
    changed: outcome.changed,
    mergedFrom: outcome.mergedFrom,
    identifiersAdded: outcome.identifiersAdded,
    identifiersRefused: outcome.identifiersRefused,
    traitsChanged: outcome.traitsChanged,
    tombstones: outcome.tombstones,
    warningCodes: outcome.warnings.map((w) => [w.code, w.identifier ?? w.trait ?? null]),
    profile: outcome.profile,
    mergedSince: outcome.mergedSince,
  };
}

/** Every identifier the universe can produce, normalized: what `cdp profile get` would be asked. */
function universe(rules: IdentityRules): string[] {
  const all = new Set<string>();
  for (const shape of [
    ...USER_IDS.map((userId) => ({ userId })),
    ...ANONYMOUS_IDS.map((anonymousId) => ({ anonymousId })),
    ...EMAILS.map((email) => ({ traits: { email } })),
    ...PHONES.map((phone) => ({ traits: { phone } })),
    ...DEVICES.map((id) => ({ context: { device: { id } } })),
    ...CRM_IDS.map((id) => ({ context: { externalIds: [{ id, type: 'crm_id' }] } })),
  ]) {
    const prepared = prepareResolution(
      { messageId: 'u', tenant: 'x', type: 'identify', timestamp: '2025-01-01T00:00:00Z', ...shape },
      rules,
    );
    if (prepared.ok) for (const identifier of prepared.request.identifiers) all.add(identifier);
  }
  return [...all];
}

let redis: Redis;
let graph: IdentityGraph;

beforeAll(() => {
  redis = testRedis();
  graph = new IdentityGraph(redis);
});

afterAll(async () => {
  await redis.quit();
});

test('the Redis identity graph behaves like the reference model', async () => {
  // What the generated sequences went through: the comparison means little if these never happen.
  const seen = new Map<string, number>();
  const count = (what: string, n = 1): void => {
    if (n > 0) seen.set(what, (seen.get(what) ?? 0) + n);
  };
  await fc.assert(
    fc.asyncProperty(
      rulesArbitrary,
      fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }),
      async (rules, steps) => {
        const tenant = uniqueTenant('idprop');
        const model = new IdentityReferenceModel(rules);
        const sent: IdentityEventInput[] = [];
        try {
          for (const s of steps) {
            if (s.kind === 'acknowledge') {
              await graph.forgetOutcomes(sent.map((e) => outcomeKey(tenant, e.messageId)));
              model.acknowledge(sent.map((e) => e.messageId));
              count('acknowledge');
              continue;
            }
            let event: IdentityEventInput;
            if (s.kind === 'redeliver' && sent.length > 0) event = sent[s.pick % sent.length]!;
            else if (s.kind === 'event') {
              event = toEvent(tenant, `m${sent.length}`, s.shape);
              sent.push(event);
            } else continue;

            const prepared = prepareResolution(event, rules);
            if (!prepared.ok) throw new Error(`test built an invalid event: ${prepared.reason}`);
            const expected = model.apply(prepared.request);
            const actual = await graph.resolveRequest(prepared.request, rules);
            count(actual.status);
            count('created', actual.created ? 1 : 0);
            count('merge', actual.mergedFrom.length);
            count('trait change', actual.traitsChanged.length);
            for (const warning of actual.warnings) count(warning.code);
            expect({ messageId: event.messageId, ...comparable(actual) }).toEqual({
              messageId: event.messageId,
              ...expected,
            });
          }
          for (const identifier of universe(rules)) {
            expect({
              identifier,
              profile: await graph.getProfileByIdentifier(tenant, identifier, rules),
            }).toEqual({
              identifier,
              profile: model.lookup(identifier),
            });
          }
          for (const profileId of model.profileIds()) {
            expect({ profileId, profile: await graph.getProfile(tenant, profileId) }).toEqual({
              profileId,
              profile: model.profile(profileId),
            });
          }
        } finally {
          await deleteTenantKeys(redis, tenant);
        }
      },
    ),
    { numRuns: RUNS },
  );
  const codes = ['resolved', 'replayed', 'duplicate', 'unresolved', 'created', 'merge', 'trait change'];
  codes.push('blocked_value', 'invalid_value', 'limit', 'identifier_cap', 'merge_cap');
  codes.push('trait_cap', 'event_identifier_cap', 'timestamp_clamped', 'acknowledge');
  for (const what of codes) expect([what, (seen.get(what) ?? 0) > 0]).toEqual([what, true]);
  if (process.env.CDP_PROPERTY_STATS) console.log(Object.fromEntries(seen));
}, 300_000);
