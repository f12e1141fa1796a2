// Start-up rule checks and the CLI's profile rendering: the pure parts around the resolver's wiring.
import { formatProfile, profileJson } from '../../../services/cli/commands/profile-command';
import { tenantDirectory } from '../../../services/common/tenants';
import type { ProfileSnapshot } from '../../../services/identity-resolver/identity-outcome';
import { compileTenantRules } from '../../../services/identity-resolver/main';

const profile: ProfileSnapshot = {
  profileId: 'p-1',
  identifiers: ['email:ann@example.com', 'user_id:u-1'],
  traits: { plan: 'pro' },
  traitState: { plan: { kind: 'set', ts: 1, value: '"pro"' } },
  version: 2,
  firstSeen: '2025-01-01T00:00:00.000Z',
  lastSeen: '2025-01-02T00:00:00.000Z',
  mergedFrom: ['p-0'],
};

describe('compileTenantRules', () => {
  it('compiles every tenant, defaults included', () => {
    const rules = compileTenantRules(
      tenantDirectory({
        tenants: [
          { id: 'a', writeKeys: ['a-write-key'] },
          { id: 'b', writeKeys: ['b-write-key'], identity: { limits: { email: 2 } } },
        ],
      }),
    );
    expect(rules.get('a')?.limits.user_id).toBe(1);
    expect(rules.get('b')?.limits.email).toBe(2);
  });

  it('fails start-up with one line naming the tenant and the path', () => {
    const bad = tenantDirectory({
      tenants: [{ id: 'shop', writeKeys: ['shop-write-key'], identity: { limits: { email: 0 } } }],
    });
    expect(() => compileTenantRules(bad)).toThrow(
      /^invalid identity rules for tenant 'shop': identity\.limits\.email: /,
    );
  });
});

describe('cdp profile get output', () => {
  it('prints one JSON object with the documented fields', () => {
    const live = { segments: [{ id: 'vip', enteredAt: 1 }], computed: { spend: 42 } };
    expect(profileJson('shop', profile, live)).toEqual({
      tenant: 'shop',
      profile_id: 'p-1',
      identifiers: ['email:ann@example.com', 'user_id:u-1'],
      traits: { plan: 'pro' },
      consent: {},
      merged_from: ['p-0'],
      version: 2,
      first_seen: '2025-01-01T00:00:00.000Z',
      last_seen: '2025-01-02T00:00:00.000Z',
      segments: ['vip'],
      computed: { spend: 42 },
    });
  });

  it('prints a readable summary', () => {
    const text = formatProfile('shop', profile);
    expect(text).toContain('profile      p-1  (tenant shop, version 2)');
    expect(text).toContain('  user_id:u-1');
    expect(text).toContain('  plan = "pro"');
    expect(text).toContain('merged from  1\n  p-0');
  });
});
