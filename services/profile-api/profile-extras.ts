// What a profile carries beyond the identity graph: computed traits and segment membership, kept
// by the segment engine. One seam, so the API does not know where they are kept. (Consent is on
// the profile itself.)

import type { Redis } from 'ioredis';
import { readProfileSegments } from '../segment-engine/profile-segments';

export interface ProfileExtrasValue {
  /** Computed trait name -> value. */
  computed: Record<string, unknown>;
  /** Ids of the segments the profile is in now. */
  segments: string[];
}

export interface ProfileExtras {
  /** `profileId` is the live (root) profile id. */
  read(tenant: string, profileId: string): Promise<ProfileExtrasValue>;
}

/** The segment engine's state in Redis: the segments and computed traits it last emitted. */
export function segmentEngineExtras(redis: Redis): ProfileExtras {
  return {
    read: async (tenant, profileId) => {
      const live = await readProfileSegments(redis, tenant, profileId);
      return { computed: live.computed, segments: live.segments.map((s) => s.id) };
    },
  };
}
