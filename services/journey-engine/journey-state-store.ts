// The journey engine's Redis state: read a profile's slots, commit a transition atomically
// (lua/commit-transition-5.lua), read due timers, and remove or count profiles' state (privacy).
import path from 'node:path';
import type { Redis } from 'ioredis';
import { repoRoot } from '../common/config';
import { loadLuaScript, runLuaScript } from '../identity-resolver/lua-scripts';
import {
  actionsOutboxKey,
  profileJourneysKey,
  profileJourneysPrefix,
  stepLogOutboxKey,
  timersKey,
} from './journey-keys';

const LUA_DIR = path.join(repoRoot, 'services', 'journey-engine', 'lua');
const commitScript = loadLuaScript('commit-transition-5.lua', LUA_DIR);
const removeScript = loadLuaScript('remove-profiles-2.lua', LUA_DIR);

export interface ProfileJourneys {
  profileId: string;
  /** The `~v` write counter as read ('' when the hash does not exist). */
  version: string;
  /** journeyId -> encoded slot. */
  slots: Map<string, string>;
  /** input role -> last applied offset. */
  offsets: Map<string, bigint>;
}

export interface Commit {
  profileId: string;
  expected: string;
  set: Record<string, string>;
  del: string[];
  /** A merged-away profile whose hash is deleted in the same step. */
  loser?: { profileId: string; expected: string };
  requireTimer?: string;
  zrem: string[];
  zadd: [number, string][];
  actions: string[];
  log: string[];
}

export type CommitResult = 'ok' | 'conflict' | 'stale';

export class JourneyStateStore {
  constructor(readonly redis: Redis) {}

  async read(tenant: string, profileId: string): Promise<ProfileJourneys> {
    const all = await this.redis.hgetall(profileJourneysKey(tenant, profileId));
    const slots = new Map<string, string>();
    const offsets = new Map<string, bigint>();
    for (const [field, value] of Object.entries(all)) {
      if (field.startsWith('~o:')) offsets.set(field.slice(3), BigInt(value));
      else if (!field.startsWith('~')) slots.set(field, value);
    }
    return { profileId, version: all['~v'] ?? '', slots, offsets };
  }

  async commit(tenant: string, c: Commit): Promise<CommitResult> {
    const a = profileJourneysKey(tenant, c.profileId);
    const b = c.loser === undefined ? a : profileJourneysKey(tenant, c.loser.profileId);
    const reply = await runLuaScript(
      this.redis,
      commitScript,
      [a, b, timersKey(tenant), actionsOutboxKey(tenant), stepLogOutboxKey(tenant)],
      [
        JSON.stringify({
          va: c.expected,
          vb: c.loser?.expected ?? '',
          require: c.requireTimer,
          set: c.set,
          del: c.del,
          dropB: c.loser !== undefined,
          zrem: c.zrem,
          zadd: c.zadd,
          actions: c.actions,
          log: c.log,
        }),
      ],
    );
    if (reply === 'ok' || reply === 'conflict' || reply === 'stale') return reply;
    throw new Error(`journey state: unexpected reply committing profile ${c.profileId}: ${String(reply)}`);
  }

  /** Timers due at `now`, earliest first. */
  async dueTimers(tenant: string, now: number, limit: number): Promise<{ member: string; due: number }[]> {
    const flat = await this.redis.zrangebyscore(
      timersKey(tenant),
      '-inf',
      now,
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const out: { member: string; due: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ member: flat[i]!, due: Number(flat[i + 1]) });
    return out;
  }

  async removeTimer(tenant: string, member: string): Promise<void> {
    await this.redis.zrem(timersKey(tenant), member);
  }

  /** The earliest due time, or undefined when no timer is set. */
  async nextDue(tenant: string): Promise<number | undefined> {
    const first = await this.redis.zrange(timersKey(tenant), 0, 0, 'WITHSCORES');
    return first.length === 2 ? Number(first[1]) : undefined;
  }
}

/** Privacy deletion: removes the profiles' journey state and timers; the number that had any. */
export async function removeJourneyState(
  redis: Redis,
  tenant: string,
  profileIds: readonly string[],
): Promise<number> {
  if (profileIds.length === 0) return 0;
  const reply = await runLuaScript(
    redis,
    removeScript,
    [timersKey(tenant), timersKey(tenant)],
    [profileJourneysPrefix(tenant), ...profileIds],
  );
  return Number(reply);
}

/** How many of these profiles have journey state (a privacy request's before/after check). */
export async function countJourneyState(
  redis: Redis,
  tenant: string,
  profileIds: readonly string[],
): Promise<number> {
  if (profileIds.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const id of profileIds) pipeline.exists(profileJourneysKey(tenant, id));
  const replies = (await pipeline.exec()) ?? [];
  return replies.filter(([err, n]) => err === null && n === 1).length;
}
