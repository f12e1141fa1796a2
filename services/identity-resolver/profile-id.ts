// Deterministic profile ids: UUIDv5(tenant namespace, first identifier), so reprocessing the same
// events yields the same ids. The tenant namespace is itself UUIDv5(CDP namespace, tenant).
import { hash } from 'node:crypto';

/** Fixed for ever: changing it changes every profile id. */
export const CDP_PROFILE_NAMESPACE = '0b6c7f4e-5d2a-4c1b-9e3f-8a7d6c5b4a39';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Namespace UUID -> its 16 bytes: a tenant's namespace is parsed once, not for every event. */
const namespaceBytes = new Map<string, Buffer>();

function bytesOfNamespace(namespace: string): Buffer {
  let bytes = namespaceBytes.get(namespace);
  if (bytes === undefined) {
    if (!UUID_PATTERN.test(namespace)) throw new Error(`uuidV5: namespace is not a UUID: ${namespace}`);
    bytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
    namespaceBytes.set(namespace, bytes);
  }
  return bytes;
}

/** RFC 9562 version 5 (SHA-1, name-based). */
export function uuidV5(name: string, namespace: string): string {
  // One-shot hash: createHash().update().digest() costs more than the SHA-1 itself on short names.
  const digest = hash(
    'sha1',
    Buffer.concat([bytesOfNamespace(namespace), Buffer.from(name, 'utf8')]),
    'buffer',
  );
  const bytes = digest.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const tenantNamespaces = new Map<string, string>();

export function tenantNamespace(tenant: string): string {
  let namespace = tenantNamespaces.get(tenant);
  if (namespace === undefined) {
    namespace = uuidV5(tenant, CDP_PROFILE_NAMESPACE);
    tenantNamespaces.set(tenant, namespace);
  }
  return namespace;
}

/** The id a profile gets when `identifier` (`type:value`, normalized) is the first one it has. */
export function profileIdFor(tenant: string, identifier: string): string {
  return uuidV5(identifier, tenantNamespace(tenant));
}
