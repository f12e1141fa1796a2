// What a profile carries beyond the identity graph: computed traits and segment membership, kept
// by the segment engine. One seam, so the API does not know where they are kept. (Consent is on
// the profile itself.)

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

/** For tests of the API alone: a profile in no segment, with no computed trait. */
export const NO_PROFILE_EXTRAS: ProfileExtras = {
  read: () => Promise.resolve({ computed: {}, segments: [] }),
};
