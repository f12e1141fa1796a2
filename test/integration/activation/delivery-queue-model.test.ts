// The Redis delivery queue (Lua scripts on the real Redis) against its reference model: after any
// sequence of enqueues, claims, pops and parks, both hand out the same profiles, heads, attempts
// and counts. Per-profile order and once-per-id queueing follow from the model's shape.
import crypto from 'node:crypto';
import fc from 'fast-check';
import type { QueuedDelivery } from '../../../services/activation/delivery';
import { DeliveryQueue } from '../../../services/activation/delivery-queue';
import { deleteKeysMatching } from '../../../services/common/redis/delete-keys';
import { createRedis } from '../../../services/common/redis/redis-client';
import { DeliveryQueueModel } from '../../support/delivery-queue-model';
import { config } from '../../support/real-stack';

jest.setTimeout(120_000);

const redis = createRedis(config.CDP_REDIS_URL, 'cdp-delivery-queue-model-test');
afterAll(async () => {
  await redis.quit();
});

type Op =
  | { op: 'enqueue'; profile: number; id: number }
  | { op: 'claim'; profiles: number; items: number }
  | { op: 'pop'; count: number }
  | { op: 'park'; delay: number }
  | { op: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('enqueue' as const), profile: fc.nat(4), id: fc.nat(30) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('claim' as const),
      profiles: fc.integer({ min: 1, max: 3 }),
      items: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('pop' as const), count: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('park' as const), delay: fc.integer({ min: 0, max: 50 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 40 }) }),
  },
);

function delivery(tenant: string, profile: number, id: number): QueuedDelivery {
  return {
    id: `msg_${id}`,
    tenant,
    destinationId: 'd',
    profileId: `p-${profile}`,
    sourceStream: 'membership',
    sourceId: `c-${id}`,
    createdAt: 0,
    call: { messageId: `msg_${id}`, type: 'track' },
  };
}

it('behaves as the reference model under any sequence of operations', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      const tenant = `q${crypto.randomBytes(4).toString('hex')}`;
      const prefix = `test-queue-model-${tenant}:`;
      const queue = new DeliveryQueue(redis, prefix);
      const model = new DeliveryQueueModel();
      let now = 1_000_000;
      // The last claim: pops and parks settle what it handed out, as a worker does.
      let claimed: { profileId: string; ids: string[] }[] = [];
      try {
        for (const o of ops) {
          switch (o.op) {
            case 'enqueue':
              expect(await queue.enqueue(delivery(tenant, o.profile, o.id), now)).toBe(
                model.enqueue(`p-${o.profile}`, `msg_${o.id}`, now),
              );
              break;
            case 'claim': {
              const real = await queue.claim(tenant, 'd', {
                now,
                leaseMs: 100,
                profiles: o.profiles,
                itemsPerProfile: o.items,
              });
              const expected = model.claim(now, 100, o.profiles, o.items);
              const got = real.map((c) => ({
                profileId: c.profileId,
                attempts: c.attempts,
                ids: c.deliveries.map((d) => d.id),
              }));
              expect(got).toEqual(expected);
              claimed = expected.map((c) => ({ profileId: c.profileId, ids: c.ids }));
              break;
            }
            case 'pop': {
              const c = claimed.shift();
              if (c === undefined) break;
              const ids = c.ids.slice(0, o.count);
              expect(await queue.pop(tenant, 'd', c.profileId, ids, now)).toBe(
                model.pop(c.profileId, ids, now),
              );
              break;
            }
            case 'park': {
              const c = claimed.shift();
              if (c === undefined) break;
              expect(await queue.park(tenant, 'd', c.profileId, c.ids[0]!, now + o.delay)).toBe(
                model.park(c.profileId, c.ids[0]!, now + o.delay),
              );
              break;
            }
            case 'tick':
              now += o.ms;
              break;
          }
        }
        expect(await queue.pending(tenant, 'd')).toBe(model.pending());
      } finally {
        await deleteKeysMatching(redis, `${prefix}*`);
      }
    }),
    { numRuns: 60 },
  );
});
