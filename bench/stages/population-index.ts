// The resolved population's identifier index (`type:value` -> profile id, the resolver's HSET) read
// back, and the choices later stages make from it: identifiers the profile API looks up, subjects
// the privacy bench deletes.
import type { Redis } from '../../services/common/redis/redis-client';
import { identifierIndexKey } from '../../services/identity-resolver/redis-keys';

export async function readIdentifierIndex(redis: Redis, tenant: string): Promise<Map<string, string>> {
  const key = identifierIndexKey(tenant);
  const entries = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'COUNT', 5000);
    for (let i = 0; i + 1 < flat.length; i += 2) entries.set(flat[i] as string, flat[i + 1] as string);
    cursor = next;
  } while (cursor !== '0');
  return entries;
}

/** Every `take`-th of the sorted entries (deterministic for a seed), at most `max`. */
function spread<T>(sorted: T[], max: number): T[] {
  const step = Math.max(1, Math.floor(sorted.length / Math.max(1, max)));
  const out: T[] = [];
  for (let i = 0; i < sorted.length && out.length < max; i += step) out.push(sorted[i]!);
  return out;
}

/** Up to `max` identifiers of every type with their profile ids, spread over the population. */
export function lookupTargets(
  index: ReadonlyMap<string, string>,
  max: number,
): { identifiers: string[]; profileIds: string[] } {
  const picked = spread(
    [...index.entries()].sort(([a], [b]) => a.localeCompare(b)),
    max,
  );
  return {
    identifiers: picked.map(([identifier]) => identifier),
    profileIds: [...new Set(picked.map(([, profile]) => profile))],
  };
}

/**
 * `count` identifiers of `type` (e.g. `email`) whose profiles all differ, spread over the
 * population: each delete request then erases a profile of its own.
 */
export function distinctSubjects(index: ReadonlyMap<string, string>, type: string, count: number): string[] {
  const byProfile = new Map<string, string>();
  for (const [identifier, profile] of [...index.entries()].sort(([a], [b]) => a.localeCompare(b)))
    if (identifier.startsWith(`${type}:`) && !byProfile.has(profile)) byProfile.set(profile, identifier);
  return spread([...byProfile.values()], count);
}
