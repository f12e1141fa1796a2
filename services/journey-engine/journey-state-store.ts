// The journey engine's Redis state: read a profile's slots, commit a transition atomically
// (lua/commit-transition-5.lua), read due timers, and remove or count profiles' state (privacy).
import path from 'node:path';
import type { Redis } from 'ioredis';
import { repoRoot } from '../common/config';
import { loadLuaScript, runLuaScript } from '../identity-resolver/lua-scripts';
import { actionsOutboxKey, profileLocation, stepLogOutboxKey, timersKey } from './journey-keys';
import { decodeProfileState, type ProfileState } from './journey-state';

const LUA_DIR = path.join(repoRoot, 'services', 'journey-engine', 'lua');
const commitScript = loadLuaScript('commit-transition-5.lua', LUA_DIR);
const removeScript = loadLuaScript('remove-profiles-2.lua', LUA_DIR);

export interface ProfileJourneys extends ProfileState {
  profileId: string;
  /** The state's text as read ('' when the profile has none): what a commit expects unchanged. */
  version: string;
}

export interface Commit {
  profileId: string;
  expected: string;
  /** The profile's new state text (encodeProfileState; '' removes it). */
  next: string;
  /** A merged-away profile whose state is removed in the same step. */
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
    const { key, field } = profileLocation(tenant, profileId);
    const text = (await this.redis.hget(key, field)) ?? '';
    return { profileId, version: text, ...decodeProfileState(text) };
  }

  async commit(tenant: string, c: Commit): Promise<CommitResult> {
    const a = profileLocation(tenant, c.profileId);
    const b = c.loser === undefined ? a : profileLocation(tenant, c.loser.profileId);
    const reply = await runLuaScript(
      this.redis,
      commitScript,
      [a.key, b.key, timersKey(tenant), actionsOutboxKey(tenant), stepLogOutboxKey(tenant)],
      [
        JSON.stringify({
          fa: a.field,
          va: c.expected,
          next: c.next,
          fb: c.loser === undefined ? undefined : b.field,
          vb: c.loser?.expected ?? '',
          require: c.requireTimer,
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
  const locations = profileIds.flatMap((id) => {
    const { key, field } = profileLocation(tenant, id);
    return [key, field];
  });
  const reply = await runLuaScript(redis, removeScript, [timersKey(tenant), timersKey(tenant)], locations);
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
  for (const id of profileIds) {
    const { key, field } = profileLocation(tenant, id);
    pipeline.hexists(key, field);
  }
  const replies = (await pipeline.exec()) ?? [];
  return replies.filter(([err, n]) => err === null && n === 1).length;
}
