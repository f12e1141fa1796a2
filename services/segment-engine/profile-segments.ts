// A profile's segments and computed traits as the engine last emitted them: what `cdp profile get`
// and the profile API show. Reads one Redis hash; a merged-away profile shows none.
import type { Redis } from 'ioredis';
import { loadState } from './segment-state-store';

export interface ProfileSegments {
  segments: { id: string; enteredAt: number }[];
  computed: Record<string, unknown>;
}

export async function readProfileSegments(
  redis: Redis,
  tenant: string,
  profileId: string,
): Promise<ProfileSegments> {
  const { state } = await loadState(redis, tenant, profileId);
  const segments = Object.entries(state.seg)
    .filter(([, m]) => m.in)
    .map(([id, m]) => ({ id, enteredAt: m.at }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const computed: Record<string, unknown> = {};
  for (const [id, c] of Object.entries(state.ct).sort(([a], [b]) => a.localeCompare(b))) {
    computed[id] = c.value === null ? null : (JSON.parse(c.value) as unknown);
  }
  return { segments, computed };
}
