// The engine's steps on the real Redis with a controllable clock: entries and exits on change only,
// window edges, exits by time alone through the schedule, merges, a redelivery re-sending the same
// records, deleted segments, and the exports other areas read (profile segments, privacy removal).
import Redis from 'ioredis';
import { readProfileSegments } from '../../../services/segment-engine/profile-segments';
import { preparedEvent, SegmentEngine } from '../../../services/segment-engine/segment-engine';
import type { SegmentPlan } from '../../../services/segment-engine/segment-plan';
import {
  countProfileState,
  deleteTenantSegmentState,
  forgetOutcomes,
  removeProfileState,
} from '../../../services/segment-engine/segment-state-store';
import { membersKey } from '../../../services/segment-engine/redis-keys';
import { config, uniqueName } from '../../support/real-stack';
import { DAY, planOf, trackEvent, traitChange } from '../../support/segment-fixtures';

const redis = new Redis(config.CDP_REDIS_URL);
afterAll(() => redis.quit());

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

function setup(bodies: unknown[]) {
  const tenant = uniqueName('segt').replace(/[^a-z0-9_-]/gi, '_');
  let now = T0;
  let plan: SegmentPlan = planOf(tenant, bodies);
  const engine = new SegmentEngine({
    redis,
    planFor: (t) => (t === tenant ? plan : undefined),
    now: () => now,
  });
  return {
    tenant,
    engine,
    setNow: (ms: number) => (now = ms),
    setPlan: (b: unknown[]) => (plan = planOf(tenant, b)),
    cleanup: () => deleteTenantSegmentState(redis, tenant),
  };
}

const repeatBuyers = {
  kind: 'segment',
  id: 'repeat-buyers',
  condition: {
    and: [
      { trait: 'country', op: 'in', value: ['DE', 'AT'] },
      { event: 'Order Completed', within_days: 3, count: { gte: 2 } },
    ],
  },
};
const orders3d = {
  kind: 'computed_trait',
  id: 'orders_3d',
  event: 'Order Completed',
  within_days: 3,
  aggregate: 'count',
};

test('enters on the second order, exits by time alone when the first leaves the window', async () => {
  const s = setup([repeatBuyers, orders3d]);
  try {
    await s.engine.onProfileChange(traitChange(s.tenant, 'p1', 1, { country: 'DE' }));
    const first = await s.engine.onEvent(trackEvent(s.tenant, 'p1', 'm1', 'Order Completed', T0 - DAY));
    expect(first.outputs.membership).toEqual([]);
    expect(first.outputs.computed.map((r) => r.value)).toEqual(['1']);
    const second = await s.engine.onEvent(trackEvent(s.tenant, 'p1', 'm2', 'Order Completed', T0));
    expect(second.outputs.membership).toMatchObject([
      { status: 'entered', version: 1, segmentId: 'repeat-buyers' },
    ]);
    expect(second.outputs.membership[0]!.changeId).toBe(`${s.tenant}:repeat-buyers:p1:1`);
    expect(await readProfileSegments(redis, s.tenant, 'p1')).toEqual({
      segments: [{ id: 'repeat-buyers', enteredAt: T0 }],
      computed: { orders_3d: 2 },
    });

    // m1 is on day D-1; a 3-day window read on day D+1 still includes D-1 (days D-1, D, D+1) ...
    const lastMoment = (Math.floor(T0 / DAY) + 2) * DAY - 1; // 23:59:59.999 of D+1
    s.setNow(lastMoment);
    expect(await s.engine.due(s.tenant, 10)).toEqual([]);
    // ... and at 00:00 of D+2 it does not: the schedule names p1 at exactly that moment.
    s.setNow(lastMoment + 1);
    expect(await s.engine.due(s.tenant, 10)).toEqual(['p1']);
    const exit = await s.engine.onTime(s.tenant, 'p1');
    expect(exit.outputs.membership).toMatchObject([{ status: 'exited', version: 2 }]);
    expect(exit.outputs.computed.map((r) => [r.value, r.previous])).toEqual([['1', '2']]);
    expect(await redis.zrange(membersKey(s.tenant, 'repeat-buyers'), 0, -1)).toEqual([]);
    // The next expiry is when m2's day leaves: nothing due now.
    expect(await s.engine.due(s.tenant, 10)).toEqual([]);
  } finally {
    await s.cleanup();
  }
});

test('a redelivered input re-sends the stored records; after release it emits nothing; a duplicate counts once', async () => {
  const s = setup([{ kind: 'segment', id: 'buyers', condition: { event: 'Order Completed' } }]);
  try {
    const e = trackEvent(s.tenant, 'p1', 'm1', 'Order Completed', T0);
    const once = await s.engine.onEvent(e);
    const again = await s.engine.onEvent(e);
    expect(again).toEqual(once);
    await forgetOutcomes(redis, s.tenant, [once.inputId!]);
    expect((await s.engine.onEvent(e)).outputs).toEqual({ membership: [], computed: [] });
  } finally {
    await s.cleanup();
  }
});

test("a chunk's events of one profile together give the records of one at a time, and the member set their last", async () => {
  // 'quiet' holds while a profile has at most one order: the 2nd order exits it, a refund (a new
  // signature) enters nothing, so a batch of p1's events enters and exits in turn.
  const bodies = [
    { kind: 'segment', id: 'quiet', condition: { event: 'Order Completed', count: { lte: 1 } } },
    { kind: 'segment', id: 'refunded', condition: { event: 'Refund' } },
    { kind: 'computed_trait', id: 'orders', event: 'Order Completed', aggregate: 'count' },
  ];
  const events = (tenant: string) => [
    trackEvent(tenant, 'p1', 'm1', 'Order Completed', T0),
    trackEvent(tenant, 'p2', 'm2', 'Refund', T0),
    trackEvent(tenant, 'p1', 'm3', 'Order Completed', T0),
    trackEvent(tenant, 'p1', 'm1', 'Order Completed', T0),
    trackEvent(tenant, 'p2', 'm4', 'Order Completed', T0),
    trackEvent(tenant, 'p1', 'm5', 'Refund', T0),
  ];
  const alone = setup(bodies);
  const together = setup(bodies);
  try {
    const one: unknown[] = [];
    for (const e of events(alone.tenant)) one.push((await alone.engine.onEvent(e)).outputs);
    const batch = await together.engine.onEvents(events(together.tenant).map(preparedEvent));
    const strip = (o: unknown, tenant: string) => JSON.parse(JSON.stringify(o).replaceAll(tenant, 'T'));
    expect(batch.map((r) => strip(r.outputs, together.tenant))).toEqual(strip(one, alone.tenant));
    // p1 entered 'quiet' and exited it in the same batch; p2 is in both.
    for (const s of [alone, together]) {
      expect(await redis.zrange(membersKey(s.tenant, 'quiet'), 0, -1)).toEqual(['p2']);
      expect((await redis.zrange(membersKey(s.tenant, 'refunded'), 0, -1)).sort()).toEqual(['p1', 'p2']);
    }
    // The redelivered m1 re-sent m1's stored records; every record is stored for a re-send until released.
    expect(batch[3]).toEqual(batch[0]);
    const again = await together.engine.onEvents(events(together.tenant).map(preparedEvent));
    expect(again).toEqual(batch);
  } finally {
    await alone.cleanup();
    await together.cleanup();
  }
});

test("a chunk's profile changes of one profile together give the records of one at a time", async () => {
  const bodies = [
    { kind: 'segment', id: 'de', condition: { trait: 'country', op: 'eq', value: 'DE' } },
    { kind: 'segment', id: 'has-email', condition: { trait: 'email', op: 'exists' } },
    { kind: 'segment', id: 'buyers', condition: { event: 'Order Completed' } },
  ];
  // p1: enters 'de', then 'has-email', a superseded (older) change, then leaves 'de'; p2 one change.
  const changes = (tenant: string) => [
    traitChange(tenant, 'p1', 1, { country: 'DE' }),
    traitChange(tenant, 'p2', 1, { email: 'b@example.com' }),
    traitChange(tenant, 'p1', 3, { email: 'a@example.com' }),
    traitChange(tenant, 'p1', 2, { email: null }),
    traitChange(tenant, 'p1', 4, { country: 'AT' }),
  ];
  const alone = setup(bodies);
  const together = setup(bodies);
  try {
    await alone.engine.onEvent(trackEvent(alone.tenant, 'p1', 'm1', 'Order Completed', T0));
    await together.engine.onEvent(trackEvent(together.tenant, 'p1', 'm1', 'Order Completed', T0));
    const one: unknown[] = [];
    for (const c of changes(alone.tenant)) one.push((await alone.engine.onProfileChange(c)).outputs);
    const batch = await together.engine.onProfileChanges(changes(together.tenant));
    const strip = (o: unknown, tenant: string) => JSON.parse(JSON.stringify(o).replaceAll(tenant, 'T'));
    expect(batch.map((r) => strip(r.outputs, together.tenant))).toEqual(strip(one, alone.tenant));
    expect(batch[3]!.outputs).toEqual({ membership: [], computed: [] });
    for (const s of [alone, together]) {
      expect(await redis.zrange(membersKey(s.tenant, 'de'), 0, -1)).toEqual([]);
      expect((await redis.zrange(membersKey(s.tenant, 'has-email'), 0, -1)).sort()).toEqual(['p1', 'p2']);
    }
    // A redelivered chunk re-sends the stored records.
    expect(await together.engine.onProfileChanges(changes(together.tenant))).toEqual(batch);
  } finally {
    await alone.cleanup();
    await together.cleanup();
  }
});

test('a merge: the loser exits, the survivor is evaluated on the combined history; late loser events go to the survivor', async () => {
  const s = setup([
    { kind: 'segment', id: 'two', condition: { event: 'Order Completed', count: { gte: 2 } } },
    { kind: 'segment', id: 'one', condition: { event: 'Order Completed', count: { eq: 1 } } },
  ]);
  try {
    await s.engine.onEvent(trackEvent(s.tenant, 'a', 'm1', 'Order Completed', T0));
    await s.engine.onEvent(trackEvent(s.tenant, 'b', 'm2', 'Order Completed', T0));
    const merge = await s.engine.onMerge({
      mergeId: 'a:b',
      tenant: s.tenant,
      loserId: 'a',
      survivorId: 'b',
      survivorVersion: 2,
      identifiersMoved: [],
      sourceMessageId: null,
      mergedAt: T0,
    });
    expect(merge.outputs.membership.map((r) => `${r.profileId} ${r.segmentId} ${r.status}`)).toEqual([
      'a one exited',
      'b one exited',
      'b two entered',
    ]);
    await s.engine.onEvent(trackEvent(s.tenant, 'a', 'm3', 'Order Completed', T0));
    expect(await readProfileSegments(redis, s.tenant, 'a')).toEqual({ segments: [], computed: {} });
    expect((await readProfileSegments(redis, s.tenant, 'b')).segments.map((x) => x.id)).toEqual(['two']);
  } finally {
    await s.cleanup();
  }
});

test('a deleted segment exits every member; privacy removal counts and removes state', async () => {
  const s = setup([{ kind: 'segment', id: 'buyers', condition: { event: 'Order Completed' } }]);
  try {
    for (const p of ['p1', 'p2'])
      await s.engine.onEvent(trackEvent(s.tenant, p, `m-${p}`, 'Order Completed', T0));
    s.setPlan([]);
    const exits = await s.engine.exitSegment(s.tenant, 'buyers', 1);
    expect(
      exits.flatMap((r) => r.outputs.membership.map((m) => `${m.profileId} ${m.status} ${m.version}`)).sort(),
    ).toEqual(['p1 exited 2', 'p2 exited 2']);
    expect(await countProfileState(redis, s.tenant, ['p1', 'nobody'])).toBe(1);
    expect(await removeProfileState(redis, s.tenant, ['p1'])).toBeGreaterThan(0);
    expect(await countProfileState(redis, s.tenant, ['p1'])).toBe(0);
    expect(await readProfileSegments(redis, s.tenant, 'p1')).toEqual({ segments: [], computed: {} });
  } finally {
    await s.cleanup();
  }
});

test('a snapshot from ClickHouse gives an unseen profile its traits and never overrides a newer change', async () => {
  const s = setup([{ kind: 'segment', id: 'de', condition: { trait: 'country', op: 'eq', value: 'DE' } }]);
  try {
    const fresh = await s.engine.onProfileSnapshot(s.tenant, 'p1', 3, { country: 'DE' }, 'segment:de:1');
    expect(fresh.outputs.membership).toMatchObject([{ profileId: 'p1', status: 'entered' }]);
    // p2 changed to FR at version 5; an older snapshot (version 4, DE) changes nothing.
    await s.engine.onProfileChange(traitChange(s.tenant, 'p2', 5, { country: 'FR' }));
    const stale = await s.engine.onProfileSnapshot(s.tenant, 'p2', 4, { country: 'DE' }, 'segment:de:1');
    expect(stale.outputs.membership).toEqual([]);
    expect((await readProfileSegments(redis, s.tenant, 'p2')).segments).toEqual([]);
  } finally {
    await s.cleanup();
  }
});

test('history from ClickHouse and the live stream count an event once, in either order', async () => {
  const s = setup([
    { kind: 'segment', id: 'two', condition: { event: 'Order Completed', count: { gte: 2 } } },
  ]);
  try {
    const live = trackEvent(s.tenant, 'p1', 'm1', 'Order Completed', T0);
    await s.engine.onEvent(live);
    const history = (ids: string[]) =>
      ids.map((messageId) => ({ messageId, event: 'Order Completed', timestamp: T0, properties: '{}' }));
    // m1 was counted live: the backfill adds nothing for it.
    expect((await s.engine.onHistory(s.tenant, 'p1', history(['m1']), 'x')).outputs.membership).toEqual([]);
    const more = await s.engine.onHistory(s.tenant, 'p1', history(['m1', 'm2']), 'x');
    expect(more.outputs.membership).toMatchObject([{ status: 'entered' }]);
    // m2 arriving live afterwards is not counted again.
    const again = await s.engine.onEvent(trackEvent(s.tenant, 'p1', 'm2', 'Order Completed', T0));
    expect(again.outputs).toEqual({ membership: [], computed: [] });
    expect(await readProfileSegments(redis, s.tenant, 'p1')).toEqual({
      segments: [{ id: 'two', enteredAt: T0 }],
      computed: {},
    });
  } finally {
    await s.cleanup();
  }
});

test('a deleted computed trait: the next evaluation of a profile sets its value to null', async () => {
  const s = setup([orders3d]);
  try {
    await s.engine.onEvent(trackEvent(s.tenant, 'p1', 'm1', 'Order Completed', T0));
    expect((await readProfileSegments(redis, s.tenant, 'p1')).computed).toEqual({ orders_3d: 1 });
    s.setPlan([{ kind: 'segment', id: 'any', condition: { trait: 'x', op: 'exists' } }]);
    const results = await s.engine.reevaluateAll(s.tenant, 'computed_trait:orders_3d:0');
    expect(results.flatMap((r) => r.outputs.computed).map((r) => [r.traitId, r.value, r.previous])).toEqual([
      ['orders_3d', null, '1'],
    ]);
    expect((await readProfileSegments(redis, s.tenant, 'p1')).computed).toEqual({ orders_3d: null });
  } finally {
    await s.cleanup();
  }
});
