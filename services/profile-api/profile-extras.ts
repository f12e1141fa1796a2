// What a profile carries beyond the identity graph: computed traits and segment membership (the
// segment engine) and consent. One seam, so the API does not know where each one is kept.

export interface ProfileExtrasValue {
  /** Computed trait name -> value. */
  computed: Record<string, unknown>;
  /** Ids of the segments the profile is in now. */
  segments: string[];
  /** Consent category -> state, as the consent store keeps it. */
  consent: Record<string, unknown>;
}

export interface ProfileExtras {
  /** `profileId` is the live (root) profile id. */
  read(tenant: string, profileId: string): Promise<ProfileExtrasValue>;
}

/** Until the segment engine and the consent store are wired in, a profile has none of these. */
export const NO_PROFILE_EXTRAS: ProfileExtras = {
  read: () => Promise.resolve({ computed: {}, segments: [], consent: {} }),
};
