// Read keys of the profile API: random, shown once, stored only as SHA-256 in the tenants file
// (`readKeyHashes`). Write keys are a different list, so a write key never reads.
import { randomBytes } from 'node:crypto';
import type { Tenant, TenantDirectory } from '../common/tenants';

const KEY_PREFIX = 'cdp_rk_';

/** 32 random bytes: guessing one is out of reach, so a fast unsalted hash is enough to store it. */
export function generateReadKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The key of `Authorization: Bearer <key>`, or undefined when the header is absent or not that. */
export function bearerKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m?.[1];
}

// One index per directory object: a reloaded tenants file is a new object, so it gets a new index.
const indexes = new WeakMap<TenantDirectory, Map<string, Tenant>>();

function readKeyIndex(directory: TenantDirectory): Map<string, Tenant> {
  let index = indexes.get(directory);
  if (index === undefined) {
    index = new Map();
    for (const t of directory.tenants) for (const h of t.readKeyHashes ?? []) index.set(h, t);
    indexes.set(directory, index);
  }
  return index;
}

/** The tenant owning a read key whose SHA-256 is `keyHash`, or undefined. */
export function tenantOfReadKey(directory: TenantDirectory, keyHash: string): Tenant | undefined {
  return readKeyIndex(directory).get(keyHash);
}
