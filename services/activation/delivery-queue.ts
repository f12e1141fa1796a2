// The durable per-destination queue in Redis: each destination of each tenant has its own keys
// (one hash tag, so one Cluster slot), each profile its own list, and a `ready` sorted set says
// which profile is due when. A slow destination only fills its own keys; a failing profile is
// parked (its score moves to its next attempt) while the destination's other profiles go on.
//   {a:<tenant>:<destination>}:ready          zset  profileId -> due (or lease end), epoch ms
//   {a:<tenant>:<destination>}:q:<profileId>  list  queued deliveries (JSON), oldest first
//   {a:<tenant>:<destination>}:attempts       hash  idempotency id -> attempts made
//   {a:<tenant>:<destination>}:id:<id>        string  the id was queued (dedupe of re-handled records)
//   {a:<tenant>}:destinations                 set   ids of the tenant's destinations that have had a
//                                                   queue: privacy deletes read it instead of a SCAN.
//                                                   Another slot than the queue keys, so the enqueue
//                                                   script cannot write it: the client adds a
//                                                   destination before its first enqueue (a superset)
import path from 'node:path';
import type { Redis } from 'ioredis';
import { repoRoot } from '../common/config';
import { loadLuaScript, runLuaScript, type LuaScript } from '../identity-resolver/lua-scripts';
import type { QueuedDelivery } from './delivery';

const DIR = path.join(repoRoot, 'services', 'activation', 'lua');

/** How long an id stays known: records older than this in Kafka would be queued again on a replay. */
export const ID_MARKER_TTL_SECONDS = 14 * 24 * 3600;

export interface ClaimedProfile {
  profileId: string;
  /** Attempts already made for the head delivery. */
  attempts: number;
  deliveries: QueuedDelivery[];
}

export function destinationPrefix(keyPrefix: string, tenant: string, destinationId: string): string {
  return `${keyPrefix}{a:${tenant}:${destinationId}}`;
}

/** The set of a tenant's destination ids that have (had) queue keys. */
export function destinationsIndexKey(keyPrefix: string, tenant: string): string {
  return `${keyPrefix}{a:${tenant}}:destinations`;
}

export class DeliveryQueue {
  private readonly enqueueScript: LuaScript = loadLuaScript('enqueue-delivery-3.lua', DIR);
  private readonly claimScript: LuaScript = loadLuaScript('claim-profiles-2.lua', DIR);
  private readonly settleScript: LuaScript = loadLuaScript('settle-profile-3.lua', DIR);

  /** Destinations (`tenant\u0000destination`) this process has added to their tenant's index. */
  private readonly indexed = new Set<string>();

  /** `keyPrefix` isolates tests sharing one Redis. */
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = '',
  ) {}

  private prefix(tenant: string, destinationId: string): string {
    return destinationPrefix(this.keyPrefix, tenant, destinationId);
  }

  /** Queues a delivery once per id (true), or not again (false); `force` re-queues a dead letter. */
  async enqueue(delivery: QueuedDelivery, now = Date.now(), force = false): Promise<boolean> {
    const p = this.prefix(delivery.tenant, delivery.destinationId);
    // Indexed before the queue keys exist, once per destination and process: the index is always
    // a superset of the destinations with keys (an id whose keys are gone costs a delete nothing).
    const indexed = `${delivery.tenant}\u0000${delivery.destinationId}`;
    if (!this.indexed.has(indexed)) {
      await this.redis.sadd(destinationsIndexKey(this.keyPrefix, delivery.tenant), delivery.destinationId);
      this.indexed.add(indexed);
    }
    const reply = await runLuaScript(
      this.redis,
      this.enqueueScript,
      [`${p}:id:${delivery.id}`, `${p}:q:${delivery.profileId}`, `${p}:ready`],
      [JSON.stringify(delivery), delivery.profileId, now, ID_MARKER_TTL_SECONDS, force ? '1' : '0'],
    );
    return reply === 1;
  }

  async claim(
    tenant: string,
    destinationId: string,
    options: { now: number; leaseMs: number; profiles: number; itemsPerProfile: number },
  ): Promise<ClaimedProfile[]> {
    const p = this.prefix(tenant, destinationId);
    const reply = (await runLuaScript(
      this.redis,
      this.claimScript,
      [`${p}:ready`, `${p}:attempts`],
      [options.now, options.now + options.leaseMs, options.profiles, options.itemsPerProfile, p],
    )) as unknown[];
    const claimed: ClaimedProfile[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      claimed.push({
        profileId: String(reply[i]),
        attempts: Number(reply[i + 1]),
        deliveries: (reply[i + 2] as string[]).map((text) => JSON.parse(text) as QueuedDelivery),
      });
    }
    return claimed;
  }

  /** Removes the settled head deliveries (delivered or dead-lettered) and frees the profile. */
  async pop(
    tenant: string,
    destinationId: string,
    profileId: string,
    ids: string[],
    now = Date.now(),
  ): Promise<number> {
    return Number(await this.settle(tenant, destinationId, profileId, ['pop', now, ids.join(','), 0]));
  }

  /** Counts an attempt of the head and parks the profile until `dueAt`; returns the attempts made. */
  async park(
    tenant: string,
    destinationId: string,
    profileId: string,
    headId: string,
    dueAt: number,
  ): Promise<number> {
    return Number(await this.settle(tenant, destinationId, profileId, ['park', Date.now(), headId, dueAt]));
  }

  /** Gives a claimed profile back untouched (it did not fit in the batch). */
  async release(tenant: string, destinationId: string, profileId: string, now = Date.now()): Promise<void> {
    await this.settle(tenant, destinationId, profileId, ['release', now, '', 0]);
  }

  /** Deliveries waiting, over every profile (for tests, the demo and metrics). */
  async pending(tenant: string, destinationId: string): Promise<number> {
    const p = this.prefix(tenant, destinationId);
    const profiles = await this.redis.zrange(`${p}:ready`, 0, -1);
    let total = 0;
    for (const profile of profiles) total += await this.redis.llen(`${p}:q:${profile}`);
    return total;
  }

  private settle(
    tenant: string,
    destinationId: string,
    profileId: string,
    args: (string | number)[],
  ): Promise<unknown> {
    const p = this.prefix(tenant, destinationId);
    return runLuaScript(
      this.redis,
      this.settleScript,
      [`${p}:ready`, `${p}:q:${profileId}`, `${p}:attempts`],
      [profileId, ...args],
    );
  }
}

/** The `ready` keys of every destination of the tenant, from its destinations index. */
async function readyKeys(redis: Redis, tenant: string, keyPrefix: string): Promise<string[]> {
  const destinations = await redis.smembers(destinationsIndexKey(keyPrefix, tenant));
  return destinations.map((id) => `${destinationPrefix(keyPrefix, tenant, id)}:ready`);
}

/**
 * Adds queues written before the destinations index existed to their tenant's index: one SCAN of
 * the keyspace at activation start (rare), so privacy deletes never need one. Returns the queues found.
 */
export async function indexExistingQueues(redis: Redis, keyPrefix = ''): Promise<number> {
  let found = 0;
  let cursor = '0';
  const start = `${keyPrefix}{a:`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${start}*}:ready`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) {
      // `<prefix>{a:<tenant>:<destination>}:ready`; a tenant id has no ':' (common/tenants.ts).
      const inner = key.slice(start.length, -'}:ready'.length);
      const colon = inner.indexOf(':');
      if (colon < 0) continue;
      pipeline.sadd(destinationsIndexKey(keyPrefix, inner.slice(0, colon)), inner.slice(colon + 1));
      found++;
    }
    if (keys.length > 0) await pipeline.exec();
  } while (cursor !== '0');
  return found;
}

/**
 * Privacy erasure: drops every queued delivery of these profiles in every destination of the
 * tenant (their lists and their places in `ready`); returns the deliveries dropped.
 */
export async function removeQueuedDeliveries(
  redis: Redis,
  tenant: string,
  profileIds: readonly string[],
  keyPrefix = '',
): Promise<number> {
  let removed = 0;
  for (const ready of await readyKeys(redis, tenant, keyPrefix)) {
    const p = ready.slice(0, -':ready'.length);
    for (const id of profileIds) {
      const [[, length]] = (await redis
        .multi()
        .llen(`${p}:q:${id}`)
        .del(`${p}:q:${id}`)
        .zrem(ready, id)
        .exec()) as [[Error | null, number]];
      removed += length;
    }
  }
  return removed;
}

/** Deliveries still queued for these profiles, in every destination of the tenant. */
export async function countQueuedDeliveries(
  redis: Redis,
  tenant: string,
  profileIds: readonly string[],
  keyPrefix = '',
): Promise<number> {
  let count = 0;
  for (const ready of await readyKeys(redis, tenant, keyPrefix)) {
    const p = ready.slice(0, -':ready'.length);
    for (const id of profileIds) count += await redis.llen(`${p}:q:${id}`);
  }
  return count;
}
