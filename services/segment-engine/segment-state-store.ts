// Redis I/O of the segment engine: read profile states, commit one step (states, expiry schedule,
// member sets, the step's records) atomically and only if nothing moved since the read, and remove
// a profile's state (privacy deletion). Key layout: redis-keys.ts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { repoRoot } from '../common/config';
import { deleteKeysMatching } from '../common/redis/delete-keys';
import type { ProfileOutputs } from './profile-outputs';
import { emptyState, type ProfileState } from './profile-state';
import {
  ALL_MEMBERS_PATTERN,
  expiryKey,
  memberSetsKey,
  membersKey,
  OUTCOME_TTL_SECONDS,
  outcomeKey,
  stateKey,
  unsentKey,
} from './redis-keys';

const COMMIT_SOURCE = readFileSync(
  path.join(repoRoot, 'services', 'segment-engine', 'lua', 'commit-profiles.lua'),
  'utf8',
);
const COMMIT_SHA = createHash('sha1').update(COMMIT_SOURCE).digest('hex');

export interface LoadedState {
  /** The version read (0: none stored); the commit checks it. */
  v: number;
  state: ProfileState;
  stored: boolean;
}

export async function loadState(redis: Redis, tenant: string, profileId: string): Promise<LoadedState> {
  const [v, s] = await redis.hmget(stateKey(tenant, profileId), 'v', 's');
  if (s === null || v === null) return { v: 0, state: emptyState(), stored: false };
  return { v: Number(v), state: JSON.parse(s) as ProfileState, stored: true };
}

export interface StepWrite {
  /** Profiles read, with the version each had. */
  read: Map<string, number>;
  /** New states (null: delete the profile's state). */
  states: Map<string, ProfileState | null>;
  /** Next expiry per written profile (null: none). */
  expiries: Map<string, number | null>;
  /**
   * The records of each input the step applied, in input order, kept under its id until sent (a
   * chunk's events of one profile commit together, each input with its own records).
   */
  outcomes: { inputId?: string; outputs: ProfileOutputs }[];
  /** The step was made outside a consumed chunk: list it for a re-send after a crash. */
  unsent?: boolean;
}

export type CommitResult = 'applied' | 'moved' | 'done-before';

export async function commitStep(redis: Redis, tenant: string, step: StepWrite): Promise<CommitResult> {
  const keys: string[] = [];
  const index = (key: string): number => {
    const i = keys.indexOf(key);
    if (i >= 0) return i + 1;
    keys.push(key);
    return keys.length;
  };
  const plan = {
    checks: [...step.read].map(([id, v]) => [index(stateKey(tenant, id)), v]),
    states: [] as [number, number, number][],
    dels: [] as number[],
    zadd: [] as [number, number, string][],
    zrem: [] as [number, string][],
    outcomes: [] as [number, number, number][],
    sadd: [] as [number, string][],
  };
  // Large texts (states, records) travel as ARGV of their own, not inside the plan: the script then
  // decodes a small plan instead of unescaping kilobytes of JSON in JSON.
  const texts: string[] = [];
  const text = (t: string): number => texts.push(t) + 1;
  for (const [id, state] of step.states) {
    if (state === null) plan.dels.push(index(stateKey(tenant, id)));
    else plan.states.push([index(stateKey(tenant, id)), state.v, text(JSON.stringify(state))]);
  }
  for (const [id, at] of step.expiries) {
    if (at === null) plan.zrem.push([index(expiryKey(tenant)), id]);
    else plan.zadd.push([index(expiryKey(tenant)), at, id]);
  }
  // A member set takes each (segment, profile)'s last record of the step: several inputs of one
  // profile may enter and exit the same segment in turn.
  const last = new Map<string, ProfileOutputs['membership'][number]>();
  for (const { outputs } of step.outcomes)
    for (const r of outputs.membership) last.set(`${r.segmentId}\u0000${r.profileId}`, r);
  for (const r of last.values()) {
    const key = index(membersKey(tenant, r.segmentId));
    if (r.status === 'entered') {
      plan.zadd.push([key, r.changedAt, r.profileId]);
      plan.sadd.push([index(memberSetsKey(tenant)), r.segmentId]); // the set's entry in the index
    } else plan.zrem.push([key, r.profileId]);
  }
  for (const { inputId, outputs } of step.outcomes) {
    if (inputId === undefined || outputs.membership.length + outputs.computed.length === 0) continue;
    const key = outcomeKey(tenant, inputId);
    plan.outcomes.push([index(key), text(JSON.stringify(outputs)), OUTCOME_TTL_SECONDS]);
    if (step.unsent) plan.sadd.push([index(unsentKey(tenant)), key]);
  }
  // cjson encodes an empty table as {}; the script iterates with ipairs, which reads {} as empty.
  const args = [JSON.stringify(plan), ...texts];
  let result: unknown;
  try {
    result = await redis.evalsha(COMMIT_SHA, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
    result = await redis.eval(COMMIT_SOURCE, keys.length, ...keys, ...args);
  }
  return result === 1 ? 'applied' : result === 2 ? 'done-before' : 'moved';
}

export async function readOutcome(
  redis: Redis,
  tenant: string,
  inputId: string,
): Promise<ProfileOutputs | null> {
  const text = await redis.get(outcomeKey(tenant, inputId));
  return text === null ? null : (JSON.parse(text) as ProfileOutputs);
}

/** After the records were acknowledged: they need not be re-sent any more. */
export async function forgetOutcomes(redis: Redis, tenant: string, inputIds: string[]): Promise<void> {
  if (inputIds.length === 0) return;
  const keys = inputIds.map((id) => outcomeKey(tenant, id));
  await redis
    .multi()
    .unlink(...keys)
    .srem(unsentKey(tenant), ...keys)
    .exec();
}

export async function unsentOutcomes(
  redis: Redis,
  tenant: string,
): Promise<{ inputId: string; outputs: ProfileOutputs }[]> {
  const keys = await redis.smembers(unsentKey(tenant));
  const prefix = outcomeKey(tenant, '');
  const out: { inputId: string; outputs: ProfileOutputs }[] = [];
  for (const key of keys.sort()) {
    const text = await redis.get(key);
    if (text === null) await redis.srem(unsentKey(tenant), key);
    else out.push({ inputId: key.slice(prefix.length), outputs: JSON.parse(text) as ProfileOutputs });
  }
  return out;
}

/** The tenant's member sets, from the index the commit keeps (work: the tenant's segments). */
async function memberSetKeys(redis: Redis, tenant: string): Promise<string[]> {
  const segmentIds = await redis.smembers(memberSetsKey(tenant));
  return segmentIds.map((id) => membersKey(tenant, id));
}

/**
 * Adds member sets written before the index existed to their tenant's index: one SCAN of the
 * keyspace, at engine start (rare), so privacy deletes never need one. Returns the sets found.
 */
export async function indexExistingMemberSets(redis: Redis): Promise<number> {
  let found = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', ALL_MEMBERS_PATTERN, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) {
      const tenant = key.slice('seg:{'.length, key.indexOf('}:members:'));
      pipeline.sadd(memberSetsKey(tenant), key.slice(membersKey(tenant, '').length));
    }
    if (keys.length > 0) await pipeline.exec();
    found += keys.length;
  } while (cursor !== '0');
  return found;
}

/**
 * Privacy deletion: removes the profiles' segment state, their place in the expiry schedule and in
 * every member set. Emits nothing (the deletion itself is the record). Returns the keys and entries removed.
 */
export async function removeProfileState(
  redis: Redis,
  tenant: string,
  profileIds: string[],
): Promise<number> {
  if (profileIds.length === 0) return 0;
  let removed = await redis.unlink(...profileIds.map((id) => stateKey(tenant, id)));
  removed += await redis.zrem(expiryKey(tenant), ...profileIds);
  for (const key of await memberSetKeys(redis, tenant)) removed += await redis.zrem(key, ...profileIds);
  return removed;
}

/** What removeProfileState would remove: state keys, schedule entries and memberships of the profiles. */
export async function countProfileState(redis: Redis, tenant: string, profileIds: string[]): Promise<number> {
  if (profileIds.length === 0) return 0;
  let count = await redis.exists(...profileIds.map((id) => stateKey(tenant, id)));
  const scores = await redis.zmscore(expiryKey(tenant), ...profileIds);
  count += scores.filter((s) => s !== null).length;
  for (const key of await memberSetKeys(redis, tenant)) {
    const inSet = await redis.zmscore(key, ...profileIds);
    count += inSet.filter((s) => s !== null).length;
  }
  return count;
}

/** Every key of a tenant's segment state (tests and `cdp` clean-up only). */
export function deleteTenantSegmentState(redis: Redis, tenant: string): Promise<number> {
  return deleteKeysMatching(redis, `seg:{${tenant}}:*`);
}
