// The pure pieces of privacy over HTTP: key kinds in the tenants file, the bounded request map, and
// the request building the CLI and the API share.
import { parseTenantsFile, sha256Hex, tenantDirectory } from '../../../services/common/tenants';
import { apiKeyOwner, generateApiKey } from '../../../services/profile-api/api-keys';
import { LruMap } from '../../../services/profile-api/lru-map';
import { buildPrivacyRequest } from '../../../services/privacy/privacy-request';

const file = (tenants: unknown[]) => JSON.stringify({ tenants });

test('a privacy key is never a write key, a read key or another tenant key', () => {
  const h = sha256Hex('some-key-1');
  expect(() =>
    parseTenantsFile(file([{ id: 'a', writeKeys: ['some-key-1'], privacyKeyHashes: [h] }]), 'f'),
  ).toThrow('tenants.0.privacyKeyHashes.0 is the hash of a write key; privacy keys are separate');
  expect(() =>
    parseTenantsFile(
      file([{ id: 'a', writeKeys: ['write-key-a'], readKeyHashes: [h], privacyKeyHashes: [h] }]),
      'f',
    ),
  ).toThrow('tenants.0.privacyKeyHashes.0 is the hash of a read key; privacy keys are separate');
  expect(() =>
    parseTenantsFile(
      file([
        { id: 'a', writeKeys: ['write-key-a'], readKeyHashes: [h] },
        { id: 'b', writeKeys: ['write-key-b'], privacyKeyHashes: [h] },
      ]),
      'f',
    ),
  ).toThrow("privacy key already used by tenant 'a'");
  expect(() =>
    parseTenantsFile(file([{ id: 'a', writeKeys: ['write-key-a'], privacyKeyHashes: ['x'] }]), 'f'),
  ).toThrow('must be a SHA-256 in hex');
});

test('a key hash names its tenant and kind; a write key is no API key', () => {
  const read = generateApiKey('read');
  const privacy = generateApiKey('privacy');
  expect(read.startsWith('cdp_rk_')).toBe(true);
  expect(privacy.startsWith('cdp_pk_')).toBe(true);
  const directory = tenantDirectory(
    parseTenantsFile(
      file([
        {
          id: 'a',
          writeKeys: ['write-key-a'],
          readKeyHashes: [sha256Hex(read)],
          privacyKeyHashes: [sha256Hex(privacy)],
        },
      ]),
      'f',
    ),
  );
  expect(apiKeyOwner(directory, sha256Hex(read))).toMatchObject({ kind: 'read', tenant: { id: 'a' } });
  expect(apiKeyOwner(directory, sha256Hex(privacy))).toMatchObject({ kind: 'privacy', tenant: { id: 'a' } });
  expect(apiKeyOwner(directory, sha256Hex('write-key-a'))).toBeUndefined();
});

test('the LRU map keeps at most its capacity and forgets the least recently used', () => {
  const lru = new LruMap<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  expect(lru.get('a')).toBe(1);
  lru.set('c', 3);
  expect([lru.has('a'), lru.has('b'), lru.has('c'), lru.size]).toEqual([true, false, true, 2]);
  lru.set('a', 4);
  lru.set('d', 5);
  expect([lru.get('a'), lru.has('c'), lru.get('d')]).toEqual([4, false, 5]);
  expect(() => new LruMap(0)).toThrow('capacity must be a positive integer');
});

test('a request is built with the normalized identifier, or refused with a reason naming it', () => {
  const tenant = { id: 't', writeKeys: ['write-key-t'] };
  const built = buildPrivacyRequest(tenant, 'delete', 'email: Ann@Example.COM ', 'dpo', 1000);
  expect(built).toMatchObject({
    ok: true,
    request: {
      tenant: 't',
      action: 'delete',
      identifier: 'email:ann@example.com',
      profileId: null,
      requestedBy: 'dpo',
      requestedAt: 1000,
    },
  });
  expect(buildPrivacyRequest(tenant, 'access', 'email:nope', null)).toEqual({
    ok: false,
    reason: 'invalid identifier "email:nope": not an email address',
  });
});
