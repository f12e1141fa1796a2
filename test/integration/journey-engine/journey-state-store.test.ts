// Privacy deletion of journey state on real Redis: removeJourneyState drops the profiles' slots and
// the timers of their running instances, countJourneyState sees it, other profiles are untouched;
// state of the old layout moves into the current one.
import crypto from 'node:crypto';
import { journeySchema } from '../../../services/common/definitions/kinds/journey';
import { createRedis } from '../../../services/common/redis/redis-client';
import { JourneyEngine } from '../../../services/journey-engine/journey-engine';
import { actionsOutboxKey, timerMember, timersKey } from '../../../services/journey-engine/journey-keys';
import { decodeSlot, markKey } from '../../../services/journey-engine/journey-state';
import {
  countJourneyState,
  JourneyStateStore,
  removeJourneyState,
} from '../../../services/journey-engine/journey-state-store';
import { JourneyVersions } from '../../../services/journey-engine/journey-versions';
import { migrateLegacyState } from '../../../services/journey-engine/legacy-state';
import { config } from '../../support/real-stack';

const redis = createRedis(config.CDP_REDIS_URL, 'journey-state-store-test');
const tenant = `jss-${crypto.randomBytes(5).toString('hex')}`;
const legacyTenant = `jss-${crypto.randomBytes(5).toString('hex')}`;

afterAll(async () => {
  for (const t of [tenant, legacyTenant]) {
    const keys = await redis.keys(`{t:${t}}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

it('removes and counts the journey state of profiles', async () => {
  const body = journeySchema.parse({
    kind: 'journey',
    id: 'hold',
    trigger: { event: 'Go' },
    steps: [
      { id: 'wait', wait: { seconds: 60 } },
      { id: 'done', exit: 'completed' },
    ],
  });
  const engine = new JourneyEngine({
    store: new JourneyStateStore(redis),
    versions: new JourneyVersions(redis),
    facts: { read: async () => ({ userId: null, identifiers: [], traits: {}, computed: {}, segments: [] }) },
    current: () => [{ id: 'hold', version: 1, body }],
  });
  const profiles = ['a', 'b', 'c'];
  for (const p of profiles) {
    const event = {
      messageId: `${p}-go`,
      type: 'track',
      event: 'Go',
      properties: {},
      timestamp: 1,
      userId: null,
    };
    expect(await engine.apply(tenant, p, { kind: 'event', id: event.messageId, at: 1000, event })).toBe(
      'applied',
    );
  }
  expect(await redis.zcard(timersKey(tenant))).toBe(3);
  expect(await countJourneyState(redis, tenant, [...profiles, 'unknown'])).toBe(3);

  expect(await removeJourneyState(redis, tenant, ['a', 'b', 'unknown'])).toBe(2);
  expect(await countJourneyState(redis, tenant, profiles)).toBe(1);
  expect(await redis.zrange(timersKey(tenant), 0, -1)).toEqual(['.c|hold|1']);
  expect(await removeJourneyState(redis, tenant, [])).toBe(0);
});

it('moves state of the old layout (a hash per profile) into the buckets, its timer still firing', async () => {
  const body = journeySchema.parse({
    kind: 'journey',
    id: 'old',
    trigger: { event: 'Go' },
    steps: [
      { id: 'wait', wait: { seconds: 60 } },
      { id: 'mail', send: { destination: 'mailer', message: 'hello' } },
    ],
  });
  const versions = new JourneyVersions(redis);
  await versions.save(legacyTenant, 'old', 1, body);
  const store = new JourneyStateStore(redis);
  const engine = new JourneyEngine({
    store,
    versions,
    facts: { read: async () => ({ userId: null, identifiers: [], traits: {}, computed: {}, segments: [] }) },
    current: () => [{ id: 'old', version: 1, body }],
  });
  const profileId = crypto.randomUUID();
  // As the previous version wrote it: instance id in hex, due as an epoch, seq in decimal.
  await redis.hset(`{t:${legacyTenant}}:j:p:${profileId}`, {
    '~v': '3',
    '~o:events:topic-a': '41',
    old: `1|||8f0c1d2e3f4a5b6c|1|wait|${(12).toString(36)}|${(61_000).toString(36)}|${(1000).toString(36)}|`,
  });
  await redis.zadd(timersKey(legacyTenant), 61_000, `${profileId}|old|12`);

  expect(await migrateLegacyState(redis, [legacyTenant])).toBe(1);
  expect(await migrateLegacyState(redis, [legacyTenant])).toBe(0);
  expect(await redis.exists(`{t:${legacyTenant}}:j:p:${profileId}`)).toBe(0);
  const state = await store.read(legacyTenant, profileId);
  expect(state.offsets.get(markKey('events:topic-a'))).toBe(41n);
  expect(decodeSlot(state.slots.get('old')).run).toEqual({
    id: '8f0c1d2e3f4a5b6c',
    version: 1,
    step: 'wait',
    seq: 12,
    due: 61_000,
    trigger: { at: 1000 },
  });
  // A redelivered record already applied before the move is still recognised.
  const event = {
    messageId: 'again',
    type: 'track',
    event: 'Go',
    properties: {},
    timestamp: 1,
    userId: null,
  };
  const input = { kind: 'event' as const, id: 'again', at: 2000, event };
  expect(
    await engine.apply(legacyTenant, profileId, input, { mark: { role: 'events:topic-a', offset: 41n } }),
  ).toBe('skipped');
  const due = await store.dueTimers(legacyTenant, 61_000, 10);
  expect(due).toEqual([{ member: timerMember(profileId, 'old', 12), due: 61_000 }]);
  expect(await engine.fireTimer(legacyTenant, due[0]!.member, 61_000)).toBe('applied');
  const sent = (await redis.xrange(actionsOutboxKey(legacyTenant), '-', '+')).map(
    ([, f]) => JSON.parse(f[1]!) as { profileId: string; message: string },
  );
  expect(sent.filter((a) => a.profileId === profileId).map((a) => a.message)).toEqual(['hello']);
});
