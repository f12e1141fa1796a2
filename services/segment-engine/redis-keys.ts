// The segment engine's Redis key layout, in one place. Every key of a tenant carries the tenant in a
// hash tag, so one tenant's keys share a cluster slot and a step's commit script may touch several.
//
// seg:{<tenant>}:p:<profileId>        HASH  v = state version, s = ProfileState JSON (profile-state.ts):
//                                             traits, day buckets per event signature, messageIds
//                                             each signature counted, last emitted membership/computed values
// seg:{<tenant>}:expiry               ZSET  profileId -> next moment (ms) a window drops a day with data
// seg:{<tenant>}:members:<segmentId>  ZSET  profileId -> enteredAt (ms): current members
// seg:{<tenant>}:member-sets          SET   segmentId of every member set written (the commit adds
//                                             it with the first entry): privacy deletes read it, not SCAN
// seg:{<tenant>}:outcome:<inputId>    STRING JSON records a step emitted, kept until they were sent
//                                             (7 days at most): a redelivered input re-sends them
//                                             byte for byte instead of evaluating again
// seg:{<tenant>}:unsent               SET   outcome keys of steps made outside a consumed chunk (time,
//                                             definition changes): sent at start-up if a crash hit first
//
// inputId is `e:<messageId>` (resolved event), `c:<changeId>` (profile change), `m:<mergeId>`
// (merge), `t:<profileId>:<stateVersion>` (time) or `d:<segmentId>:<profileId>:<stateVersion>` (a
// definition change).

export const OUTCOME_TTL_SECONDS = 7 * 24 * 3600;

const base = (tenant: string) => `seg:{${tenant}}`;

export const stateKey = (tenant: string, profileId: string) => `${base(tenant)}:p:${profileId}`;
export const statePattern = (tenant: string) => `${base(tenant)}:p:*`;
export const expiryKey = (tenant: string) => `${base(tenant)}:expiry`;
export const membersKey = (tenant: string, segmentId: string) => `${base(tenant)}:members:${segmentId}`;
export const memberSetsKey = (tenant: string) => `${base(tenant)}:member-sets`;
/** Member sets of every tenant (the start-up indexing of state written before the index). */
export const ALL_MEMBERS_PATTERN = 'seg:{*}:members:*';
export const outcomeKey = (tenant: string, inputId: string) => `${base(tenant)}:outcome:${inputId}`;
export const unsentKey = (tenant: string) => `${base(tenant)}:unsent`;

export function profileIdOfStateKey(tenant: string, key: string): string {
  return key.slice(stateKey(tenant, '').length);
}
