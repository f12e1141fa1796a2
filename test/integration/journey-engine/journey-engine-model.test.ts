// Property test: after any sequence of events (some redelivered) and clock advances, the journey
// engine on real Redis sent the same messages, in the same order per profile, and left every
// profile at the same step with the same entries as the reference model (test/support).
import crypto from 'node:crypto';
import fc from 'fast-check';
import { journeySchema, type Journey } from '../../../services/common/definitions/kinds/journey';
import { createRedis } from '../../../services/common/redis/redis-client';
import { JourneyEngine } from '../../../services/journey-engine/journey-engine';
import {
  actionsOutboxKey,
  journeyVersionsKey,
  profileLocation,
  stepLogOutboxKey,
  timersKey,
} from '../../../services/journey-engine/journey-keys';
import { decodeSlot } from '../../../services/journey-engine/journey-state';
import { JourneyStateStore } from '../../../services/journey-engine/journey-state-store';
import { JourneyVersions } from '../../../services/journey-engine/journey-versions';
import {
  JourneyReferenceModel,
  type ModelJourney,
  type ModelStep,
} from '../../support/journey-reference-model';
import { config } from '../../support/real-stack';

jest.setTimeout(300_000);

const redis = createRedis(config.CDP_REDIS_URL, 'journey-model-test');
afterAll(async () => {
  await redis.quit();
});

const PROFILES = ['p0', 'p1', 'p2'];
const EVENTS = ['Trigger', 'Converted', 'Replied', 'Other'];

const stepArb = (i: number, n: number): fc.Arbitrary<ModelStep> => {
  const id = `s${i}`;
  const later = fc.option(
    fc.integer({ min: i + 1, max: n }).map((k) => (k < n ? `s${k}` : undefined)),
    {
      nil: undefined,
    },
  );
  return fc.oneof(
    fc.constantFrom('hello', 'nudge', 'offer').map((m): ModelStep => ({ id, send: `${m}-${i}` })),
    fc.integer({ min: 1, max: 4 }).map((s): ModelStep => ({ id, waitMs: s * 1000 })),
    fc
      .record({ t: fc.integer({ min: 1, max: 4 }), onEvent: later, onTimeout: later })
      .map(({ t, onEvent, onTimeout }): ModelStep => ({
        id,
        waitFor: 'Replied',
        timeoutMs: t * 1000,
        onEvent,
        onTimeout,
      })),
    fc.constant<ModelStep>({ id, exit: 'done' }),
  );
};

const journeyArb: fc.Arbitrary<ModelJourney> = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.record({
    trigger: fc.constant('Trigger'),
    occurrence: fc.integer({ min: 1, max: 3 }),
    windowMs: fc.integer({ min: 1, max: 6 }).map((s) => s * 1000),
    exitWhen: fc.constant('Converted'),
    reentryAfterMs: fc.option(
      fc.integer({ min: 0, max: 4 }).map((s) => s * 1000),
      { nil: null },
    ),
    steps: fc.tuple(...Array.from({ length: n }, (_, i) => stepArb(i, n))),
  }),
);

const opArb = fc.record({
  profile: fc.constantFrom(...PROFILES),
  name: fc.constantFrom(...EVENTS),
  dt: fc.integer({ min: 0, max: 6 }).map((x) => x * 500),
  redelivered: fc.boolean(),
});

function toJourney(m: ModelJourney): Journey {
  return journeySchema.parse({
    kind: 'journey',
    id: 'j',
    trigger: { event: m.trigger, occurrence: m.occurrence, within_seconds: m.windowMs / 1000 },
    exit_when: [{ event: m.exitWhen, reason: 'converted' }],
    reentry: m.reentryAfterMs === null ? 'never' : { after_seconds: m.reentryAfterMs / 1000 },
    steps: m.steps.map((s) => {
      if ('send' in s) return { id: s.id, send: { destination: 'mailer', message: s.send } };
      if ('waitMs' in s) return { id: s.id, wait: { seconds: s.waitMs / 1000 } };
      if ('waitFor' in s)
        return {
          id: s.id,
          wait_for: { event: s.waitFor, timeout_seconds: s.timeoutMs / 1000 },
          on_event: s.onEvent,
          on_timeout: s.onTimeout,
        };
      return { id: s.id, exit: s.exit };
    }),
  });
}

async function runEngine(
  tenant: string,
  journey: Journey,
  ops: { profile: string; name: string; dt: number; redelivered: boolean }[],
  end: number,
) {
  const store = new JourneyStateStore(redis);
  const engine = new JourneyEngine({
    store,
    versions: new JourneyVersions(redis),
    facts: { read: async () => ({ userId: null, identifiers: [], traits: {}, computed: {}, segments: [] }) },
    current: () => [{ id: 'j', version: 1, body: journey }],
  });
  const fire = async (clock: number) => {
    for (;;) {
      const due = await store.dueTimers(tenant, clock, 100);
      if (due.length === 0) return;
      for (const t of due) await engine.fireTimer(tenant, t.member, t.due);
    }
  };
  let clock = 1_000_000;
  for (const [i, op] of ops.entries()) {
    clock += op.dt;
    await fire(clock);
    const input = {
      kind: 'event' as const,
      id: `op${i}`,
      at: clock,
      event: {
        messageId: `op${i}`,
        type: 'track',
        event: op.name,
        properties: {},
        timestamp: clock,
        userId: null,
      },
    };
    const mark = { role: 'events:model', offset: BigInt(i) };
    await engine.apply(tenant, op.profile, input, { mark });
    // A redelivery of the same record (same offset) must change nothing.
    if (op.redelivered) await engine.apply(tenant, op.profile, input, { mark });
  }
  await fire(end);
  const outbox = (await redis.xrange(actionsOutboxKey(tenant), '-', '+')) as [string, string[]][];
  const actions = outbox.map(
    ([, f]) => JSON.parse(f[1]!) as { profileId: string; stepId: string; message: string; actionId: string },
  );
  const states = new Map<string, { waitingAt?: string; entries: number }>();
  for (const p of PROFILES) {
    const slot = decodeSlot((await store.read(tenant, p)).slots.get('j'));
    states.set(p, { waitingAt: slot.run?.step, entries: slot.entries });
  }
  await redis.del(
    ...new Set(PROFILES.map((p) => profileLocation(tenant, p).key)),
    timersKey(tenant),
    actionsOutboxKey(tenant),
    stepLogOutboxKey(tenant),
    journeyVersionsKey(tenant, 'j'),
  );
  return { actions, states };
}

it('the engine on real Redis matches the reference model', async () => {
  await fc.assert(
    fc.asyncProperty(journeyArb, fc.array(opArb, { minLength: 1, maxLength: 25 }), async (m, ops) => {
      const tenant = `jm-${crypto.randomBytes(5).toString('hex')}`;
      const model = new JourneyReferenceModel(m);
      let clock = 1_000_000;
      for (const op of ops) {
        clock += op.dt;
        model.advanceTo(clock);
        model.event(op.profile, op.name, clock);
      }
      const end = clock + 60_000;
      model.advanceTo(end);

      const real = await runEngine(tenant, toJourney(m), ops, end);
      expect(new Set(real.actions.map((a) => a.actionId)).size).toBe(real.actions.length);
      for (const p of PROFILES) {
        expect([
          p,
          real.actions.filter((a) => a.profileId === p).map((a) => `${a.stepId}:${a.message}`),
        ]).toEqual([p, model.sent.filter((s) => s.profile === p).map((s) => `${s.step}:${s.message}`)]);
        expect([p, real.states.get(p)]).toEqual([
          p,
          { waitingAt: model.waitingAt(p), entries: model.entries(p) },
        ]);
      }
    }),
    { numRuns: 60 },
  );
});
