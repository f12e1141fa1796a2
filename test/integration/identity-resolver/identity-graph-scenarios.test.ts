// Scenarios from real CDP use, against the real Redis (CDP_REDIS_URL): each test owns a tenant.
import type Redis from 'ioredis';
import type { IdentityEventInput } from '../../../services/identity-resolver/identity-event';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import type { IdentityOutcome } from '../../../services/identity-resolver/identity-outcome';
import {
  DEFAULT_IDENTITY_RULES,
  parseIdentityRules,
  type IdentityRules,
} from '../../../services/identity-resolver/identity-rules';
import { outcomeKey } from '../../../services/identity-resolver/redis-keys';
import { profileIdFor } from '../../../services/identity-resolver/profile-id';
import { SuppressionList } from '../../../services/common/privacy/suppression';
import {
  deleteTenantKeys,
  expectResolved,
  makeEvent,
  testRedis,
  uniqueTenant,
} from '../../support/identity-graph-fixtures';

let redis: Redis;
let graph: IdentityGraph;
let tenant: string;

beforeAll(() => {
  redis = testRedis();
  graph = new IdentityGraph(redis);
});

afterAll(async () => {
  await redis.quit();
});

beforeEach(() => {
  tenant = uniqueTenant();
});

afterEach(async () => {
  await deleteTenantKeys(redis, tenant);
});

async function send(
  fields: Partial<IdentityEventInput> & { at?: number },
  rules: IdentityRules = DEFAULT_IDENTITY_RULES,
): Promise<IdentityOutcome> {
  return expectResolved(await graph.resolveEvent(makeEvent(tenant, fields), rules));
}

async function profileOf(identifier: string): Promise<string | null> {
  return (await graph.getProfileByIdentifier(tenant, identifier))?.profileId ?? null;
}

test('anonymous browsing then login stitches the history into one profile', async () => {
  const first = await send({ type: 'page', anonymousId: 'anon-1', at: 1 });
  expect(first).toMatchObject({
    status: 'resolved',
    created: true,
    identifiersAdded: ['anonymous_id:anon-1'],
  });
  expect(first.profileId).toBe(profileIdFor(tenant, 'anonymous_id:anon-1'));
  await send({ type: 'track', anonymousId: 'anon-1', at: 2 });

  const login = await send({
    type: 'identify',
    userId: 'user-1',
    anonymousId: 'anon-1',
    traits: { email: ' Ann@Example.COM ', name: 'Ann' },
    at: 3,
  });
  expect(login.created).toBe(false);
  expect(login.profileId).toBe(first.profileId);
  expect(login.identifiersAdded).toEqual(['user_id:user-1', 'email:ann@example.com']);
  expect(login.traitsChanged).toEqual(
    expect.arrayContaining([{ name: 'name', oldValue: null, newValue: '"Ann"' }]),
  );
  expect(login.profile).toMatchObject({
    identifiers: ['anonymous_id:anon-1', 'email:ann@example.com', 'user_id:user-1'],
    version: 3,
    firstSeen: '2025-01-01T00:00:01.000Z',
    lastSeen: '2025-01-01T00:00:03.000Z',
  });
  expect(await profileOf('user_id:user-1')).toBe(first.profileId);
  expect(await profileOf('email:ANN@example.com')).toBe(first.profileId);
});

test('two devices of one user merge on email; the merged-away profile forwards', async () => {
  const phone = await send({ anonymousId: 'a-phone', context: { device: { id: 'DEV-PHONE' } }, at: 1 });
  const laptop = await send({ anonymousId: 'a-laptop', context: { device: { id: 'dev-laptop' } }, at: 2 });
  expect(phone.profileId).not.toBe(laptop.profileId);

  await send({
    type: 'identify',
    anonymousId: 'a-phone',
    traits: { email: 'bob@x.io', plan: 'free' },
    at: 3,
  });
  const merge = await send({
    type: 'identify',
    anonymousId: 'a-laptop',
    traits: { email: 'BOB@x.io', plan: 'pro' },
    at: 4,
  });

  // The phone profile holds the email (higher priority than device_id): it survives.
  expect(merge.profileId).toBe(phone.profileId);
  expect(merge.mergedFrom).toEqual([laptop.profileId]);
  expect(merge.tombstones).toEqual([
    {
      profileId: laptop.profileId,
      mergedInto: phone.profileId,
      version: 2,
      identifiersMoved: ['anonymous_id:a-laptop', 'device_id:dev-laptop'],
    },
  ]);
  expect(merge.profile?.identifiers).toEqual([
    'anonymous_id:a-laptop',
    'anonymous_id:a-phone',
    'device_id:dev-laptop',
    'device_id:dev-phone',
    'email:bob@x.io',
  ]);
  expect(merge.profile?.traits).toEqual({ email: 'BOB@x.io', plan: 'pro' }); // traits keep the raw value
  expect(merge.profile?.mergedFrom).toEqual([laptop.profileId]);
  expect(await profileOf('device_id:dev-laptop')).toBe(phone.profileId);
  expect((await graph.getProfile(tenant, laptop.profileId ?? ''))?.profileId).toBe(phone.profileId);
});

test('a shared kiosk device with two different user_ids does not merge them', async () => {
  const alice = await send({
    type: 'identify',
    userId: 'alice',
    context: { device: { id: 'kiosk-7' } },
    at: 1,
  });
  const bob = await send({ type: 'identify', userId: 'bob', context: { device: { id: 'kiosk-7' } }, at: 2 });

  expect(bob.created).toBe(true);
  expect(bob.profileId).not.toBe(alice.profileId);
  expect(bob.identifiersRefused).toEqual([{ identifier: 'device_id:kiosk-7', reason: 'limit' }]);
  expect(bob.warnings).toEqual([expect.objectContaining({ code: 'limit', identifier: 'device_id:kiosk-7' })]);
  expect(await profileOf('user_id:alice')).toBe(alice.profileId);
  expect(await profileOf('user_id:bob')).toBe(bob.profileId);
  expect(await profileOf('device_id:kiosk-7')).toBe(alice.profileId);

  // Even an alias cannot join two user_ids through their anonymous ids.
  await send({ anonymousId: 'anon-bob', userId: 'bob', at: 3 });
  const alias = await send({ type: 'alias', userId: 'alice', previousId: 'anon-bob', at: 4 });
  expect(alias.profileId).toBe(alice.profileId);
  expect(alias.mergedFrom).toEqual([]);
  expect(await profileOf('anonymous_id:anon-bob')).toBe(bob.profileId);
});

test.each([
  ['null value', null],
  ['"null"', 'null'],
  ['"undefined"', 'undefined'],
  ['"0"', '0'],
  ['"anonymous"', 'Anonymous'],
  ['0 as a number', 0],
])('identify with userId %s merges nothing', async (_label, userId) => {
  const one = await send({ type: 'identify', anonymousId: 'visitor-1', userId, at: 1 });
  const two = await send({ type: 'identify', anonymousId: 'visitor-2', userId, at: 2 });
  expect(one.profileId).not.toBe(two.profileId);
  expect(two.mergedFrom).toEqual([]);
  expect(two.profile?.identifiers).toEqual(['anonymous_id:visitor-2']);
  if (userId !== null) {
    expect(two.identifiersRefused).toEqual([
      { identifier: `user_id:${String(userId)}`, reason: 'blocked_value' },
    ]);
    expect(two.warnings.map((w) => w.code)).toEqual(['blocked_value']);
  }
  expect(await profileOf(`user_id:${String(userId)}`)).toBeNull();
});

test('an event with only blocked identifiers is unresolved and leaves the graph alone', async () => {
  const outcome = await send({ anonymousId: 'undefined', userId: '-1', at: 1 });
  expect(outcome).toMatchObject({ status: 'unresolved', profileId: null, profile: null });
  expect(outcome.warnings).toHaveLength(2);
  expect(await redis.keys(`{t:${tenant}}:*`)).toEqual([]);
});

test('a late event with an older timestamp does not overwrite a newer trait', async () => {
  await send({ type: 'identify', userId: 'u1', traits: { plan: 'pro', city: 'Oslo' }, at: 20 });
  const late = await send({ type: 'identify', userId: 'u1', traits: { plan: 'free', age: 40 }, at: 10 });
  expect(late.profile?.traits).toEqual({ plan: 'pro', city: 'Oslo', age: 40 });
  expect(late.traitsChanged).toEqual([{ name: 'age', oldValue: null, newValue: '40' }]);
  expect(late.profile?.firstSeen).toBe('2025-01-01T00:00:10.000Z');
  expect(late.profile?.lastSeen).toBe('2025-01-01T00:00:20.000Z');

  // An unset older than the value is ignored; a newer one removes it, and an older set cannot
  // bring it back.
  await send({ type: 'identify', userId: 'u1', traits: { $unset: ['city'] }, at: 15 });
  expect((await graph.getProfileByIdentifier(tenant, 'user_id:u1'))?.traits.city).toBe('Oslo');
  const unset = await send({ type: 'identify', userId: 'u1', traits: { $unset: ['city'] }, at: 30 });
  expect(unset.traitsChanged).toEqual([{ name: 'city', oldValue: '"Oslo"', newValue: null }]);
  await send({ type: 'identify', userId: 'u1', traits: { city: 'Bergen' }, at: 25 });
  expect((await graph.getProfileByIdentifier(tenant, 'user_id:u1'))?.traits).toEqual({
    plan: 'pro',
    age: 40,
  });

  // set_once keeps the earliest value and never replaces a set.
  await send({ type: 'identify', userId: 'u1', traits: { $set_once: { source: 'ads', plan: 'x' } }, at: 50 });
  const once = await send({
    type: 'identify',
    userId: 'u1',
    traits: { $set_once: { source: 'seo' } },
    at: 40,
  });
  expect(once.profile?.traits).toEqual({ plan: 'pro', age: 40, source: 'seo' });
});

/** As the resolver does once a message's outputs are acknowledged. */
const acknowledge = (...events: { messageId: string }[]) =>
  graph.forgetOutcomes(events.map((e) => outcomeKey(tenant, e.messageId)));

test("a messageId applied but not acknowledged replays its stored outcome, with today's profile", async () => {
  const alice = await send({ type: 'identify', userId: 'alice', traits: { plan: 'free' }, at: 1 });
  await send({ type: 'identify', anonymousId: 'alice-phone', at: 1 });
  await send({ type: 'identify', userId: 'bob', context: { device: { id: 'kiosk' } }, at: 1 });
  // Merges alice's phone into alice, changes traits, and cannot link bob's kiosk (a warning).
  const merging = makeEvent(tenant, {
    type: 'identify',
    userId: 'alice',
    anonymousId: 'alice-phone',
    traits: { $set: { plan: 'pro' }, $unset: ['coupon'] },
    context: { device: { id: 'kiosk' }, externalIds: [{ id: 'null', type: 'crm_id' }] },
    at: 2,
  });
  // Processing times near the real clock: dedupe buckets expire by Redis's clock.
  const t0 = Date.now();
  const first = expectResolved(await graph.resolveEvent(merging, DEFAULT_IDENTITY_RULES, t0));
  expect(first.tombstones).toHaveLength(1);
  expect(first.warnings.map((w) => w.code)).toEqual(['blocked_value', 'limit']);
  await send({ type: 'identify', userId: 'alice', traits: { plan: 'team' }, at: 3 });

  const again = expectResolved(await graph.resolveEvent(merging, DEFAULT_IDENTITY_RULES, t0 + 9_000));
  const { status, duplicate, profile, ...rest } = again;
  const { status: s1, duplicate: d1, profile: p1, ...firstRest } = first;
  expect([status, duplicate, s1, d1]).toEqual(['replayed', true, 'resolved', false]);
  // Everything the records are built from is as it was, the time included...
  expect(rest).toEqual(firstRest);
  expect(rest.appliedAt).toBe(t0);
  // ...but the snapshot is today's.
  expect(p1?.traits).toMatchObject({ plan: 'pro' });
  expect(profile).toMatchObject({ profileId: alice.profileId, traits: { plan: 'team' } });

  // Acknowledged: a plain duplicate from then on, and the stored outcome is gone.
  await acknowledge(merging);
  expect(await redis.exists(outcomeKey(tenant, merging.messageId))).toBe(0);
  expect(expectResolved(await graph.resolveEvent(merging, DEFAULT_IDENTITY_RULES))).toMatchObject({
    status: 'duplicate',
    changed: false,
    tombstones: [],
    warnings: [],
  });
});

test('stored outcomes expire on their own when never acknowledged', async () => {
  const rules = parseIdentityRules({ outcomeTtlSeconds: 60 }, tenant);
  const event = makeEvent(tenant, { anonymousId: 'ttl-1' });
  await graph.resolveEvent(event, rules);
  const ttl = await redis.pttl(outcomeKey(tenant, event.messageId));
  expect(ttl).toBeGreaterThan(50_000);
  expect(ttl).toBeLessThanOrEqual(60_000);
});

test('the same messageId twice changes nothing and returns the current snapshot', async () => {
  const event = makeEvent(tenant, {
    type: 'identify',
    userId: 'u1',
    anonymousId: 'a1',
    traits: { n: 1 },
    at: 1,
  });
  const first = expectResolved(await graph.resolveEvent(event, DEFAULT_IDENTITY_RULES));
  await acknowledge(event);
  await send({ type: 'identify', userId: 'u1', traits: { n: 2 }, at: 2 });

  const again = expectResolved(await graph.resolveEvent(event, DEFAULT_IDENTITY_RULES));
  expect(again).toMatchObject({
    status: 'duplicate',
    duplicate: true,
    profileId: first.profileId,
    changed: false,
    identifiersAdded: [],
    traitsChanged: [],
  });
  expect(again.profile).toMatchObject({ version: 2, traits: { n: 2 } });

  // A redelivery whose profile was merged away since reports the survivor.
  const other = await send({ anonymousId: 'a2', traits: {}, at: 3 });
  const redelivered = makeEvent(tenant, { anonymousId: 'a2', at: 4 });
  await graph.resolveEvent(redelivered, DEFAULT_IDENTITY_RULES);
  await acknowledge(redelivered);
  await send({ type: 'alias', userId: 'u1', previousId: 'a2', at: 5 });
  const late = expectResolved(await graph.resolveEvent(redelivered, DEFAULT_IDENTITY_RULES));
  expect(other.profileId).not.toBe(first.profileId);
  expect(late).toMatchObject({ status: 'duplicate', profileId: first.profileId });
});

test('dedupe holds for the whole window, then the messageId may be applied again', async () => {
  // A 7 s window is seven 1 s periods: a message is recognised for 7 s to 8 s after it was seen.
  const rules = parseIdentityRules({ dedupeWindowSeconds: 7, dedupeBuckets: 4 }, tenant);
  // Buckets expire by Redis's own clock, so the test clock starts at the real time and only runs ahead.
  let now = Date.now();
  const clocked = new IdentityGraph(redis, () => now);
  const event = makeEvent(tenant, { type: 'track', anonymousId: 'a1', at: 1 });
  expect(expectResolved(await clocked.resolveEvent(event, rules)).status).toBe('resolved');
  await acknowledge(event);
  now += 6_999;
  expect(expectResolved(await clocked.resolveEvent(event, rules)).status).toBe('duplicate');
  now += 2_001;
  expect(expectResolved(await clocked.resolveEvent(event, rules))).toMatchObject({
    status: 'resolved',
    changed: false,
  });

  // One hash per period and bucket; a field is 16 bytes of the messageId's digest, the value the
  // profile id as 16 bytes; each bucket expires one window after its period.
  const keys = await redis.keys(`{t:${tenant}}:m:*`);
  expect(keys.length).toBeGreaterThanOrEqual(1);
  for (const key of keys) {
    // Buffers both ways: the fields and values are raw bytes, not text.
    const fields = await redis.hkeysBuffer(key);
    const values = await redis.hvalsBuffer(key);
    expect(fields.length).toBeGreaterThanOrEqual(1);
    for (const field of fields) expect(field.length).toBe(16);
    for (const value of values) expect(value.length).toBe(16);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
  }
});

test('a merge of two large profiles keeps every identifier', async () => {
  const rules = parseIdentityRules({ limits: { anonymous_id: 1000 } }, tenant);
  for (let i = 0; i < 300; i += 1) {
    await send({ userId: 'big-user', anonymousId: `ua-${i}`, at: 1 + i }, rules);
    await send({ context: { traits: { email: 'big@x.io' } }, anonymousId: `ea-${i}`, at: 1000 + i }, rules);
  }
  const user = await graph.getProfileByIdentifier(tenant, 'user_id:big-user', rules);
  const email = await graph.getProfileByIdentifier(tenant, 'email:big@x.io', rules);
  expect(user?.identifiers).toHaveLength(301);
  expect(email?.identifiers).toHaveLength(301);

  const merge = await send(
    { type: 'identify', userId: 'big-user', traits: { email: 'big@x.io' }, at: 5000 },
    rules,
  );
  expect(merge.profileId).toBe(user?.profileId);
  expect(merge.mergedFrom).toEqual([email?.profileId]);
  expect(merge.profile?.identifiers).toHaveLength(602);
  expect(new Set(merge.profile?.identifiers)).toEqual(
    new Set([...(user?.identifiers ?? []), ...(email?.identifiers ?? [])]),
  );
  for (const identifier of email?.identifiers ?? []) {
    expect(await redis.hget(`{t:${tenant}}:idx`, identifier)).toBe(user?.profileId);
  }
});

test('a household email shared by two user_ids is the only identifier dropped: the rest still link', async () => {
  const ann = await send({ type: 'identify', userId: 'ann', traits: { email: 'home@x.io' }, at: 1 });
  const bob = await send({
    type: 'identify',
    userId: 'bob',
    anonymousId: 'bob-phone',
    traits: { email: 'home@x.io', phone: '+14155550123' },
    at: 2,
  });

  // Dropping the lowest-priority identifiers first would lose bob's device and phone before the
  // email; only the email joins two user_ids, so only the email is refused.
  expect(bob.identifiersRefused).toEqual([{ identifier: 'email:home@x.io', reason: 'limit' }]);
  expect(bob.profileId).not.toBe(ann.profileId);
  expect(await profileOf('anonymous_id:bob-phone')).toBe(bob.profileId);
  expect(await profileOf('phone:+14155550123')).toBe(bob.profileId);
  expect(await profileOf('email:home@x.io')).toBe(ann.profileId);
});

test('limits: a second email on a profile at its email limit starts its own profile', async () => {
  const rules = parseIdentityRules({ limits: { email: 1 } }, tenant);
  const first = await send({ anonymousId: 'a1', context: { traits: { email: 'one@x.io' } }, at: 1 }, rules);
  const second = await send({ anonymousId: 'a1', context: { traits: { email: 'two@x.io' } }, at: 2 }, rules);
  // email (priority 2) outranks anonymous_id: the anonymous id is dropped, not the email.
  expect(second.identifiersRefused).toEqual([{ identifier: 'anonymous_id:a1', reason: 'limit' }]);
  expect(second.created).toBe(true);
  expect(second.profileId).toBe(profileIdFor(tenant, 'email:two@x.io'));
  expect(await profileOf('anonymous_id:a1')).toBe(first.profileId);
});

test('tightened rules apply to new data only: a profile over the new limit still resolves and merges', async () => {
  const loose = parseIdentityRules({}, tenant);
  const tight = parseIdentityRules({ limits: { anonymous_id: 2 } }, tenant);
  for (const anonymousId of ['a1', 'a2', 'a3']) await send({ userId: 'u1', anonymousId, at: 1 }, loose);
  const other = await send({ context: { device: { id: 'dev' } }, at: 2 }, tight);

  // Still 3 anonymous ids (over the new limit of 2), but this merge adds none: allowed.
  const merge = await send({ userId: 'u1', context: { device: { id: 'dev' } }, at: 3 }, tight);
  expect(merge.identifiersRefused).toEqual([]);
  expect(merge.mergedFrom).toEqual([other.profileId]);
  expect(merge.profile?.identifiers).toHaveLength(5);
  // A new anonymous id would grow the type past the limit: refused.
  const grow = await send({ userId: 'u1', anonymousId: 'a4', at: 4 }, tight);
  expect(grow.identifiersRefused).toEqual([{ identifier: 'anonymous_id:a4', reason: 'limit' }]);
});

test('caps: past the identifier cap no new links are made but events still resolve', async () => {
  const rules = parseIdentityRules({ maxIdentifiersPerProfile: 3 }, tenant);
  const p = await send({ userId: 'u1', anonymousId: 'a1', context: { device: { id: 'd1' } }, at: 1 }, rules);
  const capped = await send({ userId: 'u1', anonymousId: 'a2', at: 2 }, rules);
  expect(capped.profileId).toBe(p.profileId);
  expect(capped.identifiersRefused).toEqual([{ identifier: 'anonymous_id:a2', reason: 'identifier_cap' }]);
  expect(capped.warnings.map((w) => w.code)).toEqual(['identifier_cap']);

  // Two profiles of two identifiers each: merging them would make four.
  const q = await send({ anonymousId: 'b1', context: { device: { id: 'b-dev' } }, at: 3 }, rules);
  const r = await send({ anonymousId: 'c1', context: { device: { id: 'c-dev' } }, at: 4 }, rules);
  const blocked = await send({ anonymousId: 'b1', context: { device: { id: 'c-dev' } }, at: 5 }, rules);
  expect(blocked.mergedFrom).toEqual([]);
  expect(blocked.profileId).toBe(q.profileId); // same best type, q is older
  expect(blocked.warnings.map((w) => w.code)).toEqual(['identifier_cap']);
  expect(blocked.warnings[0]?.message).toContain(r.profileId);
  expect(await profileOf('device_id:c-dev')).toBe(r.profileId);
});

test('merge cap: a profile that already absorbed its maximum merges no more', async () => {
  const rules = parseIdentityRules({ maxMergesPerProfile: 1 }, tenant);
  const a = await send({ type: 'identify', userId: 'u', traits: { email: 'u@x.io' }, at: 1 }, rules);
  const b = await send({ anonymousId: 'b', at: 2 }, rules);
  const c = await send({ anonymousId: 'c', at: 3 }, rules);
  const first = await send({ userId: 'u', anonymousId: 'b', at: 4 }, rules);
  expect(first.mergedFrom).toEqual([b.profileId]);
  const second = await send({ userId: 'u', anonymousId: 'c', at: 5 }, rules);
  expect(second.mergedFrom).toEqual([]);
  expect(second.profileId).toBe(a.profileId);
  expect(second.warnings.map((w) => w.code)).toEqual(['merge_cap']);
  expect(await profileOf('anonymous_id:c')).toBe(c.profileId);
});

test('profile get and restore: a snapshot written back into an empty graph reads the same', async () => {
  await send({ type: 'identify', anonymousId: 'a1', traits: { email: 'r@x.io', plan: 'pro' }, at: 1 });
  await send({ type: 'identify', anonymousId: 'a2', traits: { $unset: ['plan'] }, at: 2 });
  const merge = await send({
    type: 'identify',
    anonymousId: 'a2',
    userId: 'u-r',
    traits: { email: 'r@x.io' },
    at: 3,
  });
  const snapshot = merge.profile;
  if (snapshot === null) throw new Error('no snapshot');
  expect(snapshot.traitState.plan).toEqual({ kind: 'unset', ts: Date.UTC(2025, 0, 1) + 2000 });

  const loser = merge.mergedFrom[0] ?? '';
  await deleteTenantKeys(redis, tenant);
  expect(await graph.getProfileByIdentifier(tenant, 'email:r@x.io')).toBeNull();

  expect(await graph.restoreProfile(tenant, snapshot)).toBe('restored');
  expect(await graph.getProfileByIdentifier(tenant, 'email:R@X.io')).toEqual(snapshot);
  expect((await graph.getProfile(tenant, loser))?.profileId).toBe(snapshot.profileId);
  // Replays are harmless: the same version restores again, an older one or a merged-away one is skipped.
  expect(await graph.restoreProfile(tenant, snapshot)).toBe('restored');
  expect(await graph.restoreProfile(tenant, { ...snapshot, version: snapshot.version - 1 })).toBe('stale');
  expect(await graph.restoreProfile(tenant, { ...snapshot, profileId: loser, version: 99 })).toBe('merged');

  // The restored graph keeps resolving: last-writer-wins still sees the unset's timestamp.
  const late = await send({ type: 'identify', userId: 'u-r', traits: { plan: 'old' }, at: 1 });
  expect(late.profile?.traits.plan).toBeUndefined();
});

test('non-ASCII identifiers and trait values round-trip; invalid Unicode is refused, not fatal', async () => {
  const outcome = await send({
    type: 'identify',
    userId: 'José 😀',
    anonymousId: 'bad\ud800id',
    traits: { ['ville']: 'Zürich / 東京', odd: 'x\udfffy', ['bad\ud800name']: 1 },
    at: 1,
  });
  expect(outcome.profile?.identifiers).toEqual(['user_id:José 😀']);
  expect(outcome.identifiersRefused).toEqual([
    { identifier: 'anonymous_id:bad\ud800id', reason: 'invalid_value' },
  ]);
  expect(outcome.profile?.traits).toEqual({ ville: 'Zürich / 東京', odd: 'x\udfffy' });
  expect(outcome.warnings.map((w) => w.code)).toEqual(['invalid_value', 'invalid_trait']);
  expect((await graph.getProfileByIdentifier(tenant, 'user_id:José 😀'))?.profileId).toBe(outcome.profileId);
});

test('invalid envelopes are rejected with a reason, not thrown', async () => {
  const bad = await graph.resolveEvent(
    { ...makeEvent(tenant, { userId: 'u' }), timestamp: 'yesterday' },
    DEFAULT_IDENTITY_RULES,
  );
  expect(bad).toMatchObject({ status: 'rejected', reason: expect.stringContaining('timestamp') });
  const noId = await graph.resolveEvent(
    { ...makeEvent(tenant, { userId: 'u' }), messageId: '' },
    DEFAULT_IDENTITY_RULES,
  );
  expect(noId).toMatchObject({ status: 'rejected', reason: 'messageId is required' });
});

test('with refuseSuppressed, an event carrying a suppressed or erasing identifier changes nothing', async () => {
  const list = new SuppressionList(redis);
  const refuse = { refuseSuppressed: true };
  const event = (fields: Partial<IdentityEventInput>) => makeEvent(tenant, { type: 'identify', ...fields });
  // A tenant without any list: resolved as usual.
  const first = await graph.resolveEvent(event({ userId: 'ann' }), DEFAULT_IDENTITY_RULES, 1, refuse);
  expect(first.status).toBe('resolved');

  await list.suppress(tenant, ['email:sue@example.com'], 'req-1');
  const sue = event({ anonymousId: 'sue-phone', traits: { email: 'Sue@Example.com' } });
  expect(await graph.resolveEvent(sue, DEFAULT_IDENTITY_RULES, 2, refuse)).toEqual({
    status: 'suppressed',
    tenant,
    messageId: sue.messageId,
  });
  // Nothing written: no index entry, no profile, no stored outcome.
  expect(await profileOf('anonymous_id:sue-phone')).toBeNull();
  expect(await redis.exists(outcomeKey(tenant, sue.messageId))).toBe(0);
  // Others still resolve; without the option the list is not consulted, and the same message is
  // applied then (no dedupe mark was left: not a duplicate).
  expect((await graph.resolveEvent(event({ userId: 'bob' }), DEFAULT_IDENTITY_RULES, 3, refuse)).status).toBe(
    'resolved',
  );
  expect(expectResolved(await graph.resolveEvent(sue, DEFAULT_IDENTITY_RULES)).status).toBe('resolved');

  // A delete in progress holds its identifiers the same way, then lets them go.
  await list.holdDuringErasure(tenant, ['user_id:ann'], 'req-2');
  const ann = event({ userId: 'ann', traits: { plan: 'pro' } });
  expect((await graph.resolveEvent(ann, DEFAULT_IDENTITY_RULES, 4, refuse)).status).toBe('suppressed');
  await list.releaseErasure(tenant, ['user_id:ann']);
  expect((await graph.resolveEvent(ann, DEFAULT_IDENTITY_RULES, 5, refuse)).status).toBe('resolved');
});

test('outcomes are released with the snapshot check only when no written snapshot was overtaken', async () => {
  const first = await send({ type: 'identify', userId: 'carol', traits: { plan: 'free' }, at: 1 });
  const later = await send({ type: 'identify', userId: 'carol', traits: { plan: 'pro' }, at: 2 });
  await send({ type: 'identify', anonymousId: 'carol-phone', at: 1 });
  const merge = await send({ type: 'identify', userId: 'carol', anonymousId: 'carol-phone', at: 3 });
  const loser = merge.tombstones[0]!.profileId;
  const stored = async (...ids: string[]) =>
    Promise.all(ids.map(async (id) => redis.exists(outcomeKey(tenant, id))));
  const carol = first.profileId!;
  const current = (await graph.getProfile(tenant, carol))!.version;

  // Written an older version: behind, nothing released.
  const behind = await graph.releaseOutcomesIfSnapshotsCurrent(
    [{ tenant, profileId: carol, version: first.version }],
    [outcomeKey(tenant, first.messageId), outcomeKey(tenant, later.messageId)],
  );
  expect([...behind]).toEqual([tenant]);
  expect(await stored(first.messageId, later.messageId)).toEqual([1, 1]);

  // A snapshot (not a tombstone) written for a profile merged away since: behind too.
  expect(
    await graph.releaseOutcomesIfSnapshotsCurrent([{ tenant, profileId: loser, version: 1 }], []),
  ).toEqual(new Set([tenant]));

  // The current version and the loser's tombstone: current, and the outcomes are gone.
  const released = await graph.releaseOutcomesIfSnapshotsCurrent(
    [
      { tenant, profileId: carol, version: current },
      { tenant, profileId: loser, version: null },
    ],
    [outcomeKey(tenant, first.messageId), outcomeKey(tenant, later.messageId)],
  );
  expect(released.size).toBe(0);
  expect(await stored(first.messageId, later.messageId)).toEqual([0, 0]);
});
