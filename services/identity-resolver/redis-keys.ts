// Key layout of the identity graph. Every key of a tenant starts with the hash tag `{t:<tenant>}`,
// so the whole graph of a tenant lives in one Redis Cluster slot and one script can touch it.
//   {t:<tenant>}:idx              hash  `type:value` -> profile id (always the live root profile)
//   {t:<tenant>}:p:<profileId>    hash  one profile (fields in lua/includes/profile-state.lua)
//   {t:<tenant>}:m:<period>:<n>   hash  messages seen in one period of the dedupe window
//                                 (lua/includes/dedupe-buckets.lua)
//   {t:<tenant>}:o:<digest>       string  a message's outcome, kept until its outputs are
//                                 acknowledged (lua/resolve-event-4.lua; <digest>: hex of the
//                                 first 16 bytes of SHA-1(messageId))
//   {t:<tenant>}:o-index          set  the <digest> of every stored outcome: written by the scripts
//                                 that store and release outcomes, read by privacy deletes instead
//                                 of a SCAN; an entry whose outcome expired is dropped by its reader

import { hash } from 'node:crypto';
import { TENANT_ID_PATTERN, TENANT_ID_RULE } from '../common/tenants';

export function assertTenant(tenant: string): void {
  if (!TENANT_ID_PATTERN.test(tenant)) {
    throw new Error(`invalid tenant id ${JSON.stringify(tenant)}: ${TENANT_ID_RULE}`);
  }
}

export function tenantPrefix(tenant: string): string {
  assertTenant(tenant);
  return `{t:${tenant}}`;
}

/** The tenant of a key of this layout (`{t:<tenant>}:...`). */
export function tenantOfKey(key: string): string {
  const end = key.indexOf('}');
  if (!key.startsWith('{t:') || end < 0) throw new Error(`not a tenant key: ${key}`);
  return key.slice(3, end);
}

export function identifierIndexKey(tenant: string): string {
  return `${tenantPrefix(tenant)}:idx`;
}

export function profileKey(tenant: string, profileId: string): string {
  return `${tenantPrefix(tenant)}:p:${profileId}`;
}

export function outcomeKey(tenant: string, messageId: string): string {
  return outcomeKeyOfDigest(tenant, hash('sha1', messageId, 'buffer'));
}

/** The same key from SHA-1(messageId) already computed (the graph hashes each message once). */
export function outcomeKeyOfDigest(tenant: string, sha1: Buffer): string {
  return `${tenantPrefix(tenant)}:o:${sha1.toString('hex', 0, 16)}`;
}

/** The set of the tenant's stored outcome digests (the part of an outcome key after `:o:`). */
export function outcomeIndexKey(tenant: string): string {
  return `${tenantPrefix(tenant)}:o-index`;
}

/** The outcome key of a digest as the outcome index holds it. */
export function outcomeKeyOfIndexEntry(tenant: string, digestHex: string): string {
  return `${tenantPrefix(tenant)}:o:${digestHex}`;
}

/** The outcome index entry of an outcome key (its digest). */
export function indexEntryOfOutcomeKey(key: string): string {
  return key.slice(key.lastIndexOf(':o:') + 3);
}
