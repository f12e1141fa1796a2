// API keys of the profile API, two kinds: read keys (`readKeyHashes`) read profiles, privacy keys
// (`privacyKeyHashes`) make privacy requests. Random, shown once, stored only as SHA-256 in the
// tenants file. Write keys are a third list and are no API key at all, so a write key never reads.
import { randomBytes } from 'node:crypto';
import type { Tenant, TenantDirectory } from '../common/tenants';

export type ApiKeyKind = 'read' | 'privacy';

const KEY_PREFIX: Record<ApiKeyKind, string> = { read: 'cdp_rk_', privacy: 'cdp_pk_' };

/** 32 random bytes: guessing one is out of reach, so a fast unsalted hash is enough to store it. */
export function generateApiKey(kind: ApiKeyKind): string {
  return `${KEY_PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
}

export function generateReadKey(): string {
  return generateApiKey('read');
}

/** The key of `Authorization: Bearer <key>`, or undefined when the header is absent or not that. */
export function bearerKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m?.[1];
}

export interface ApiKeyOwner {
  tenant: Tenant;
  kind: ApiKeyKind;
}

// One index per directory object: a reloaded tenants file is a new object, so it gets a new index.
const indexes = new WeakMap<TenantDirectory, Map<string, ApiKeyOwner>>();

function keyIndex(directory: TenantDirectory): Map<string, ApiKeyOwner> {
  let index = indexes.get(directory);
  if (index === undefined) {
    index = new Map();
    for (const tenant of directory.tenants) {
      for (const h of tenant.readKeyHashes ?? []) index.set(h, { tenant, kind: 'read' });
      for (const h of tenant.privacyKeyHashes ?? []) index.set(h, { tenant, kind: 'privacy' });
    }
    indexes.set(directory, index);
  }
  return index;
}

/** The tenant and kind of the API key whose SHA-256 is `keyHash`, or undefined. */
export function apiKeyOwner(directory: TenantDirectory, keyHash: string): ApiKeyOwner | undefined {
  return keyIndex(directory).get(keyHash);
}
