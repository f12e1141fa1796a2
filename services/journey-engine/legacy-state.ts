// State written before profiles moved into buckets (one hash per profile, `{t:<tenant>}:j:p:<id>`,
// with `~v`, `~o:<role>` and per journey a slot holding its instance id in hex and `due` as an
// epoch; timer members `<profileId>|<journeyId>|<seq in decimal>`). The engine moves a served
// tenant's old hashes into the current layout when it starts, before it consumes or fires anything:
// one transaction per profile, so a crash in the middle leaves each profile either moved or not,
// and a restart carries on; a marker per tenant spares later starts the keyspace scan. docs/journeys.md "State in Redis".
import type { Redis } from 'ioredis';
import { tenantOfKey, tenantPrefix } from '../identity-resolver/redis-keys';
import { profileLocation, timerMember, timersKey } from './journey-keys';
import {
  encodeProfileState,
  encodeSlot,
  markKey,
  type JourneySlot,
  type ProfileState,
} from './journey-state';

const legacyPrefix = (tenant: string) => `${tenantPrefix(tenant)}:j:p:`;

const num = (text: string | undefined, what: string): number => {
  const n = /^-?[0-9a-z]+$/.test(text ?? '') ? parseInt(text!, 36) : NaN;
  if (!Number.isFinite(n))
    throw new Error(`old journey slot: ${what} is not a number: ${JSON.stringify(text)}`);
  return n;
};
const optional = (text: string | undefined, what: string) => (text ? num(text, what) : undefined);

/** The old slot text: `entries|endedAt|occurrences[|id|version|step|seq|due|triggerAt|fields]`. */
export function decodeLegacySlot(text: string): JourneySlot {
  const p = text.split('|');
  const slot: JourneySlot = {
    entries: num(p[0], 'entries'),
    endedAt: optional(p[1], 'endedAt'),
    occurrences: p[2] ? p[2].split(',').map((o) => num(o, 'occurrence')) : undefined,
  };
  if (p.length > 3) {
    const fields = p.slice(9).join('|');
    slot.run = {
      id: p[3]!,
      version: num(p[4], 'version'),
      step: p[5]!,
      seq: num(p[6], 'seq'),
      due: optional(p[7], 'due'),
      trigger: {
        at: num(p[8], 'trigger time'),
        fields: fields ? (JSON.parse(fields) as Record<string, unknown>) : undefined,
      },
    };
  }
  return slot;
}

/** Set once a tenant's old hashes were moved: later starts skip the keyspace scan. */
export const layoutMarkerKey = (tenant: string) => `${tenantPrefix(tenant)}:j:layout`;

/**
 * Moves every old-layout profile hash of these tenants into its bucket, in one scan of the keyspace
 * for all tenants not yet marked moved; the number of profiles moved.
 */
export async function migrateLegacyState(redis: Redis, tenants: readonly string[]): Promise<number> {
  const marked = tenants.length === 0 ? [] : await redis.mget(...tenants.map(layoutMarkerKey));
  const pending = new Set(tenants.filter((_, i) => marked[i] === null));
  if (pending.size === 0) return 0;
  let moved = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', '{t:*}:j:p:*', 'COUNT', 5000);
    cursor = next;
    for (const key of keys) {
      const tenant = tenantOfKey(key);
      if (!pending.has(tenant)) continue;
      await moveProfile(redis, tenant, key.slice(legacyPrefix(tenant).length));
      moved++;
    }
  } while (cursor !== '0');
  for (const tenant of pending) await redis.set(layoutMarkerKey(tenant), 'buckets');
  return moved;
}

async function moveProfile(redis: Redis, tenant: string, profileId: string): Promise<void> {
  const key = `${legacyPrefix(tenant)}${profileId}`;
  const old = await redis.hgetall(key);
  const state: ProfileState = { offsets: new Map(), slots: new Map() };
  const timers: { old: string; now: string }[] = [];
  for (const [field, value] of Object.entries(old)) {
    if (field.startsWith('~o:')) state.offsets.set(markKey(field.slice(3)), BigInt(value));
    else if (!field.startsWith('~')) {
      const slot = decodeLegacySlot(value);
      state.slots.set(field, encodeSlot(slot));
      if (slot.run?.due !== undefined)
        timers.push({
          old: `${profileId}|${field}|${slot.run.seq}`,
          now: timerMember(profileId, field, slot.run.seq),
        });
    }
  }
  const { key: bucket, field } = profileLocation(tenant, profileId);
  const scores =
    timers.length === 0 ? [] : await redis.zmscore(timersKey(tenant), ...timers.map((t) => t.old));
  const tx = redis.multi();
  // A profile already in its bucket was written by this version: its state there is newer.
  tx.hsetnx(bucket, field, encodeProfileState(state));
  timers.forEach((t, i) => {
    const due = scores[i];
    if (due !== null && due !== undefined)
      tx.zadd(timersKey(tenant), due, t.now).zrem(timersKey(tenant), t.old);
  });
  tx.del(key);
  await tx.exec();
}
