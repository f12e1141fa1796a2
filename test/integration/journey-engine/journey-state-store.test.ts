// Privacy deletion of journey state on real Redis: removeJourneyState drops the profiles' slots and
// the timers of their running instances, countJourneyState sees it, other profiles are untouched.
import crypto from 'node:crypto';
import { journeySchema } from '../../../services/common/definitions/kinds/journey';
import { createRedis } from '../../../services/common/redis/redis-client';
import { JourneyEngine } from '../../../services/journey-engine/journey-engine';
import { timersKey } from '../../../services/journey-engine/journey-keys';
import {
  countJourneyState,
  JourneyStateStore,
  removeJourneyState,
} from '../../../services/journey-engine/journey-state-store';
import { JourneyVersions } from '../../../services/journey-engine/journey-versions';
import { config } from '../../support/real-stack';

const redis = createRedis(config.CDP_REDIS_URL, 'journey-state-store-test');
const tenant = `jss-${crypto.randomBytes(5).toString('hex')}`;

afterAll(async () => {
  const keys = await redis.keys(`{t:${tenant}}:*`);
  if (keys.length > 0) await redis.del(...keys);
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
  expect(await redis.zrange(timersKey(tenant), 0, -1)).toEqual(['c|hold|1']);
  expect(await removeJourneyState(redis, tenant, [])).toBe(0);
});
