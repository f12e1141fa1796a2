import { profileIdFor, tenantNamespace, uuidV5 } from '../../../services/identity-resolver/profile-id';

describe('profile ids', () => {
  test('uuidV5 matches the RFC test vector', () => {
    // RFC 4122 DNS namespace, name "www.example.com".
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  test('deterministic per tenant and identifier, distinct across tenants', () => {
    expect(profileIdFor('demo', 'email:a@b.c')).toBe(profileIdFor('demo', 'email:a@b.c'));
    expect(profileIdFor('demo', 'email:a@b.c')).not.toBe(profileIdFor('other', 'email:a@b.c'));
    expect(profileIdFor('demo', 'email:a@b.c')).not.toBe(profileIdFor('demo', 'email:a@b.d'));
    expect(profileIdFor('demo', 'email:a@b.c')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(tenantNamespace('demo')).toBe(tenantNamespace('demo'));
  });

  test('rejects a namespace that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow('namespace is not a UUID');
  });
});
