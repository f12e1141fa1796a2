// What a journey reads about a profile for branch conditions and send payloads, behind one small
// interface. Traits, identifiers and userId come from the identity graph; segment membership and
// computed traits from the segment engine's `readProfileSegments` (main.ts passes it).
import type { IdentityGraph } from '../identity-resolver/identity-graph';
import type { ProfileFactsValue } from './journey-machine';

export interface ProfileFacts {
  read(tenant: string, profileId: string): Promise<ProfileFactsValue>;
}

/** The shape of the segment engine's `readProfileSegments(redis, tenant, profileId)`. */
export type SegmentsReader = (
  tenant: string,
  profileId: string,
) => Promise<{ segments: { id: string; enteredAt: number }[]; computed: Record<string, unknown> }>;

export class IdentityGraphFacts implements ProfileFacts {
  constructor(
    private readonly graph: Pick<IdentityGraph, 'getProfile'>,
    private readonly segments?: SegmentsReader,
  ) {}

  async read(tenant: string, profileId: string): Promise<ProfileFactsValue> {
    const [profile, membership] = await Promise.all([
      this.graph.getProfile(tenant, profileId),
      this.segments?.(tenant, profileId),
    ]);
    const identifiers = profile?.identifiers ?? [];
    const user = identifiers.find((i) => i.startsWith('user_id:'));
    return {
      userId: user === undefined ? null : user.slice('user_id:'.length),
      identifiers,
      traits: profile?.traits ?? {},
      computed: membership?.computed ?? {},
      segments: membership?.segments.map((s) => s.id) ?? [],
    };
  }
}
