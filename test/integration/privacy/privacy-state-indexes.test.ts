// Privacy deletes find a subject's short-lived and per-segment Redis state through per-tenant
// indexes the engines keep, not by walking the keyspace: for resolver outcomes, segment member
// sets and activation queues, the subject's entries are found and removed, another tenant's keys
// (and keys under an unrelated prefix) stay as they were, and no SCAN is issued.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { QueuedDelivery } from '../../../services/activation/delivery';
import {
  countQueuedDeliveries,
  DeliveryQueue,
  destinationsIndexKey,
  indexExistingQueues,
  removeQueuedDeliveries,
} from '../../../services/activation/delivery-queue';
import { deleteKeysMatching } from '../../../services/common/redis/delete-keys';
import { createRedis } from '../../../services/common/redis/redis-client';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import { DEFAULT_IDENTITY_RULES } from '../../../services/identity-resolver/identity-rules';
import { outcomeIndexKey, outcomeKey } from '../../../services/identity-resolver/redis-keys';
import { resolverOutcomesState } from '../../../services/privacy/identity-graph-state';
import { memberSetsKey, membersKey } from '../../../services/segment-engine/redis-keys';
import {
  commitStep,
  countProfileState,
  indexExistingMemberSets,
  removeProfileState,
} from '../../../services/segment-engine/segment-state-store';
import { deleteTenantKeys, expectResolved, makeEvent } from '../../support/identity-graph-fixtures';
import { config } from '../../support/real-stack';

jest.setTimeout(60_000);

let redis: Redis;
let scans = 0;

beforeAll(() => {
  redis = createRedis(config.CDP_REDIS_URL, 'cdp-privacy-indexes-test');
  // Every SCAN this client issues is counted (SSCAN of an index is not a SCAN).
  const scan = redis.scan.bind(redis) as (...args: unknown[]) => Promise<[string, string[]]>;
  (redis as unknown as { scan: (...args: unknown[]) => Promise<[string, string[]]> }).scan = (...args) => {
    scans += 1;
    return scan(...args);
  };
});

afterAll(async () => {
  await redis?.quit();
});

function profileIdOf(outcome: { profileId: string | null }): string {
  if (outcome.profileId === null) throw new Error('the event resolved to no profile');
  return outcome.profileId;
}

const tenantName = (label: string) => `pidx-${label}-${crypto.randomBytes(4).toString('hex')}`;

/** A stored copy of every key under `pattern` with its type and contents (to compare). */
async function snapshot(pattern: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const other = createRedis(config.CDP_REDIS_URL, 'cdp-privacy-indexes-snapshot');
  try {
    for await (const keys of other.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) {
      for (const key of keys) out[key] = (await other.dumpBuffer(key))?.toString('hex') ?? '';
    }
  } finally {
    await other.quit();
  }
  return out;
}

describe('resolver outcomes', () => {
  const tenant = tenantName('o');
  const neighbour = tenantName('o');

  afterAll(async () => {
    await deleteTenantKeys(redis, tenant);
    await deleteTenantKeys(redis, neighbour);
  });

  test('the outcome index lists stored outcomes; a delete finds the subject through it and spares the rest', async () => {
    const graph = new IdentityGraph(redis);
    const rules = DEFAULT_IDENTITY_RULES;
    const annEvent = makeEvent(tenant, { userId: 'ann' });
    const bobEvent = makeEvent(tenant, { userId: 'bob' });
    const ann = expectResolved(await graph.resolveEvent(annEvent, rules));
    const bob = expectResolved(await graph.resolveEvent(bobEvent, rules));
    const other = expectResolved(await graph.resolveEvent(makeEvent(neighbour, { userId: 'ann' }), rules));
    expect(await redis.scard(outcomeIndexKey(tenant))).toBe(2);
    // An entry whose outcome expired (its resolver died before releasing it) is dropped by the reader.
    await redis.sadd(outcomeIndexKey(tenant), 'ffffffffffffffffffffffffffffffff');
    const neighbourBefore = await snapshot(`{t:${neighbour}}:*`);

    const store = resolverOutcomesState(redis);
    const before = scans;
    expect(await store.count(tenant, [profileIdOf(ann)], [])).toBe(1);
    expect(await redis.sismember(outcomeIndexKey(tenant), 'ffffffffffffffffffffffffffffffff')).toBe(0);
    expect(await store.remove(tenant, [profileIdOf(ann)], [])).toEqual({ removed: 1 });
    expect(await store.count(tenant, [profileIdOf(ann)], [])).toBe(0);
    expect(scans - before).toBe(0);

    expect(await redis.exists(outcomeKey(tenant, String(annEvent.messageId)))).toBe(0);
    expect(await redis.exists(outcomeKey(tenant, String(bobEvent.messageId)))).toBe(1);
    expect(await redis.scard(outcomeIndexKey(tenant))).toBe(1);
    expect(await store.count(tenant, [profileIdOf(bob)], [])).toBe(1);
    expect(await snapshot(`{t:${neighbour}}:*`)).toEqual(neighbourBefore);
    expect(other.profileId).toBeDefined();
  });

  test('releasing acknowledged outcomes removes their index entries too', async () => {
    const graph = new IdentityGraph(redis);
    const event = makeEvent(tenant, { userId: 'carol' });
    const carol = expectResolved(await graph.resolveEvent(event, DEFAULT_IDENTITY_RULES));
    const key = outcomeKey(tenant, String(event.messageId));
    const entries = await redis.scard(outcomeIndexKey(tenant));
    const behind = await graph.releaseOutcomesIfSnapshotsCurrent(
      [{ tenant, profileId: profileIdOf(carol), version: carol.version }],
      [key],
    );
    expect(behind.size).toBe(0);
    expect(await redis.exists(key)).toBe(0);
    expect(await redis.scard(outcomeIndexKey(tenant))).toBe(entries - 1);
    // The other release path (after the full snapshot guard) as well.
    const again = makeEvent(tenant, { userId: 'dave' });
    expectResolved(await graph.resolveEvent(again, DEFAULT_IDENTITY_RULES));
    await graph.forgetOutcomes([outcomeKey(tenant, String(again.messageId))]);
    expect(await redis.scard(outcomeIndexKey(tenant))).toBe(entries - 1);
  });
});

function membership(tenant: string, segmentId: string, profileId: string, status: 'entered' | 'exited') {
  return {
    changeId: `${segmentId}-${profileId}-${status}`,
    tenant,
    segmentId,
    profileId,
    status,
    version: 1,
    segmentVersion: 1,
    changedAt: 1_700_000_000_000,
  };
}

async function enter(tenant: string, segmentId: string, profileId: string): Promise<void> {
  const result = await commitStep(redis, tenant, {
    read: new Map(),
    states: new Map(),
    expiries: new Map(),
    outcomes: [
      { outputs: { membership: [membership(tenant, segmentId, profileId, 'entered')], computed: [] } },
    ],
  });
  expect(result).toBe('applied');
}

describe('segment member sets', () => {
  const tenant = tenantName('s');
  const neighbour = tenantName('s');

  afterAll(async () => {
    await deleteKeysMatching(redis, `seg:{${tenant}}:*`);
    await deleteKeysMatching(redis, `seg:{${neighbour}}:*`);
  });

  test('the commit indexes each member set; a delete reads the index and spares the rest', async () => {
    await enter(tenant, 'vip', 'ann');
    await enter(tenant, 'vip', 'bob');
    await enter(tenant, 'browsers', 'ann');
    await enter(neighbour, 'vip', 'ann');
    expect((await redis.smembers(memberSetsKey(tenant))).sort()).toEqual(['browsers', 'vip']);
    const neighbourBefore = await snapshot(`seg:{${neighbour}}:*`);

    const before = scans;
    expect(await countProfileState(redis, tenant, ['ann'])).toBe(2);
    expect(await removeProfileState(redis, tenant, ['ann'])).toBe(2);
    expect(await countProfileState(redis, tenant, ['ann'])).toBe(0);
    expect(scans - before).toBe(0);

    expect(await redis.zrange(membersKey(tenant, 'vip'), 0, -1)).toEqual(['bob']);
    expect(await redis.exists(membersKey(tenant, 'browsers'))).toBe(0);
    expect(await snapshot(`seg:{${neighbour}}:*`)).toEqual(neighbourBefore);
  });

  test('member sets written before the index are indexed at engine start', async () => {
    await redis.zadd(membersKey(tenant, 'legacy'), 1, 'erin');
    expect(await countProfileState(redis, tenant, ['erin'])).toBe(0);
    const before = scans;
    expect(await indexExistingMemberSets(redis)).toBeGreaterThan(0);
    expect(scans).toBeGreaterThan(before); // the counter sees a SCAN of this client
    expect(await redis.sismember(memberSetsKey(tenant), 'legacy')).toBe(1);
    expect(await countProfileState(redis, tenant, ['erin'])).toBe(1);
  });
});

function delivery(tenant: string, destinationId: string, profileId: string, n: number): QueuedDelivery {
  return {
    id: `msg_${destinationId}_${profileId}_${n}`,
    tenant,
    destinationId,
    profileId,
    sourceStream: 'membership',
    sourceId: `c-${n}`,
    createdAt: 0,
    call: { messageId: `msg_${n}`, type: 'track' },
  };
}

describe('activation queues', () => {
  const tenant = tenantName('a');
  const neighbour = tenantName('a');
  const prefix = `test-pidx-${crypto.randomBytes(4).toString('hex')}:`;

  afterAll(async () => {
    await deleteKeysMatching(redis, `${prefix}*`);
  });

  test('enqueue indexes the destination; a delete reads the index and spares the rest', async () => {
    const queue = new DeliveryQueue(redis, prefix);
    const unprefixed = new DeliveryQueue(redis, `${prefix}other:`);
    await queue.enqueue(delivery(tenant, 'hook', 'ann', 1));
    await queue.enqueue(delivery(tenant, 'hook', 'ann', 2));
    await queue.enqueue(delivery(tenant, 'hook', 'bob', 3));
    await queue.enqueue(delivery(tenant, 'crm:eu', 'ann', 4));
    await queue.enqueue(delivery(neighbour, 'hook', 'ann', 5));
    await unprefixed.enqueue(delivery(tenant, 'hook', 'ann', 6));
    expect((await redis.smembers(destinationsIndexKey(prefix, tenant))).sort()).toEqual(['crm:eu', 'hook']);
    const othersBefore = {
      neighbour: await snapshot(`${prefix}{a:${neighbour}*`),
      otherPrefix: await snapshot(`${prefix}other:*`),
    };

    const before = scans;
    expect(await countQueuedDeliveries(redis, tenant, ['ann'], prefix)).toBe(3);
    expect(await removeQueuedDeliveries(redis, tenant, ['ann'], prefix)).toBe(3);
    expect(await countQueuedDeliveries(redis, tenant, ['ann'], prefix)).toBe(0);
    expect(scans - before).toBe(0);

    expect(await queue.pending(tenant, 'hook')).toBe(1);
    expect({
      neighbour: await snapshot(`${prefix}{a:${neighbour}*`),
      otherPrefix: await snapshot(`${prefix}other:*`),
    }).toEqual(othersBefore);
  });

  test('queues written before the index are indexed at activation start', async () => {
    const legacy = tenantName('a');
    await redis.zadd(`${prefix}{a:${legacy}:old:hook}:ready`, 1, 'erin');
    await redis.rpush(`${prefix}{a:${legacy}:old:hook}:q:erin`, '{}');
    expect(await countQueuedDeliveries(redis, legacy, ['erin'], prefix)).toBe(0);
    expect(await indexExistingQueues(redis, prefix)).toBeGreaterThan(0);
    expect(await redis.smembers(destinationsIndexKey(prefix, legacy))).toEqual(['old:hook']);
    expect(await countQueuedDeliveries(redis, legacy, ['erin'], prefix)).toBe(1);
  });
});
