// The identity graph's personal state in Redis (key layout: identity-resolver/redis-keys.ts):
// profile hashes (identifiers, trait state, merge history) of every subject profile id, the index
// entries of the subject's identifiers, and stored outcomes (they hold a profile snapshot until the
// resolver's outputs are acknowledged). Index entries are removed only where they point at a
// subject profile: an identifier shared with someone who was never merged stays theirs.
import type { PersonalStateStore } from '../common/privacy/personal-state';
import type { Redis } from '../common/redis/redis-client';
import { IdentityGraph } from '../identity-resolver/identity-graph';
import {
  identifierIndexKey,
  indexEntryOfOutcomeKey,
  outcomeIndexKey,
  outcomeKeyOfIndexEntry,
  profileKey,
} from '../identity-resolver/redis-keys';

/** Identifiers named by the profile hashes themselves (`i:<type:value>` fields). */
async function identifiersInProfiles(redis: Redis, tenant: string, profileIds: readonly string[]) {
  const found = new Set<string>();
  const fields = await Promise.all(profileIds.map((id) => redis.hkeys(profileKey(tenant, id))));
  for (const list of fields) for (const f of list) if (f.startsWith('i:')) found.add(f.slice(2));
  return found;
}

/** Index entries among `identifiers` that point at one of the subject's profiles. */
async function subjectIndexEntries(
  redis: Redis,
  tenant: string,
  profileIds: readonly string[],
  identifiers: Iterable<string>,
): Promise<string[]> {
  const ids = [...identifiers];
  if (ids.length === 0) return [];
  const owners = await redis.hmget(identifierIndexKey(tenant), ...ids);
  const subject = new Set(profileIds);
  return ids.filter((_id, i) => owners[i] !== null && subject.has(owners[i] as string));
}

export function identityGraphState(redis: Redis): PersonalStateStore {
  const graph = new IdentityGraph(redis);
  return {
    name: 'redis:identity-graph',
    async remove(tenant, profileIds, identifiers) {
      const known = await identifiersInProfiles(redis, tenant, profileIds);
      for (const i of identifiers) known.add(i);
      const entries = await subjectIndexEntries(redis, tenant, profileIds, known);
      // Index first: a lookup never finds an identifier whose profile is already gone.
      const unindexed = entries.length > 0 ? await redis.hdel(identifierIndexKey(tenant), ...entries) : 0;
      const keys = profileIds.map((id) => profileKey(tenant, id));
      const unlinked = keys.length > 0 ? await redis.unlink(...keys) : 0;
      return { removed: unindexed + unlinked };
    },
    async count(tenant, profileIds, identifiers) {
      const known = await identifiersInProfiles(redis, tenant, profileIds);
      for (const i of identifiers) known.add(i);
      const entries = await subjectIndexEntries(redis, tenant, profileIds, known);
      const keys = profileIds.map((id) => profileKey(tenant, id));
      const existing = keys.length > 0 ? await redis.exists(...keys) : 0;
      return entries.length + existing;
    },
    async read(tenant, profileIds) {
      const seen = new Set<string>();
      const profiles = [];
      for (const id of profileIds) {
        const p = await graph.getProfile(tenant, id);
        if (p === null || seen.has(p.profileId)) continue;
        seen.add(p.profileId);
        profiles.push({
          profileId: p.profileId,
          identifiers: p.identifiers,
          traits: p.traits,
          firstSeen: p.firstSeen,
          lastSeen: p.lastSeen,
          mergedFrom: p.mergedFrom,
        });
      }
      return profiles;
    },
  };
}

/** Index entries read and outcome values fetched per round trip. */
const OUTCOME_PAGE = 1000;

/**
 * Stored outcomes of the tenant that name a subject profile. They are short-lived and listed in the
 * tenant's outcome index (resolve-event-4.lua adds, release-outcomes-1.lua removes), so the work is
 * the tenant's in-flight outcomes, not the keyspace. An entry whose outcome is gone (expired after
 * its resolver died) is removed here.
 */
async function subjectOutcomeKeys(redis: Redis, tenant: string, profileIds: readonly string[]) {
  const index = outcomeIndexKey(tenant);
  const matches = new Set<string>(); // SSCAN may return an entry twice
  const stale: string[] = [];
  let cursor = '0';
  do {
    const [next, entries] = await redis.sscan(index, cursor, 'COUNT', OUTCOME_PAGE);
    cursor = next;
    if (entries.length === 0) continue;
    const keys = entries.map((entry) => outcomeKeyOfIndexEntry(tenant, entry));
    const values = await redis.mget(...keys);
    keys.forEach((key, i) => {
      const value = values[i];
      if (value == null) stale.push(entries[i]);
      else if (profileIds.some((id) => value.includes(id))) matches.add(key);
    });
  } while (cursor !== '0');
  if (stale.length > 0) await redis.srem(index, ...stale);
  return [...matches];
}

export function resolverOutcomesState(redis: Redis): PersonalStateStore {
  return {
    name: 'redis:resolver-outcomes',
    async remove(tenant, profileIds) {
      const keys = await subjectOutcomeKeys(redis, tenant, profileIds);
      if (keys.length === 0) return { removed: 0 };
      const [[, unlinked]] = (await redis
        .multi()
        .unlink(...keys)
        .srem(outcomeIndexKey(tenant), ...keys.map(indexEntryOfOutcomeKey))
        .exec()) as [[Error | null, number]];
      return { removed: unlinked };
    },
    async count(tenant, profileIds) {
      return (await subjectOutcomeKeys(redis, tenant, profileIds)).length;
    },
  };
}
