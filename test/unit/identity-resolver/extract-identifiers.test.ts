import {
  extractIdentifiers,
  normalizeIdentifier,
  splitIdentifier,
} from '../../../services/identity-resolver/extract-identifiers';
import type { IdentityEventInput } from '../../../services/identity-resolver/identity-event';
import {
  DEFAULT_IDENTITY_RULES,
  parseIdentityRules,
} from '../../../services/identity-resolver/identity-rules';

function event(fields: Partial<IdentityEventInput>): IdentityEventInput {
  return { messageId: 'm1', tenant: 'demo', type: 'identify', timestamp: '2025-01-01T00:00:00Z', ...fields };
}

describe('extractIdentifiers', () => {
  test('reads every source, normalizes, dedupes and sorts by priority', () => {
    const result = extractIdentifiers(
      event({
        anonymousId: 'anon-1',
        userId: 'u-1',
        traits: { email: 'A@X.io', phone: '+44 20 7946 0958' },
        context: {
          traits: { email: ' a@x.io' },
          device: { id: 'DEV-1' },
          externalIds: [
            { id: 'c-9', type: 'CRM_ID', collection: 'users', encoding: 'none' },
            { id: 'acct-1', type: 'account_id', collection: 'accounts' },
            { id: 42, type: 'loyalty_id' },
          ],
        },
      }),
      DEFAULT_IDENTITY_RULES,
    );
    expect(result.identifiers).toEqual([
      'user_id:u-1',
      'email:a@x.io',
      'phone:+442079460958',
      'device_id:dev-1',
      'crm_id:c-9',
      'loyalty_id:42',
      'anonymous_id:anon-1',
    ]);
    expect(result.refused).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  test('blocked and invalid values are refused with a warning, never silently', () => {
    const result = extractIdentifiers(
      event({
        userId: 'undefined',
        anonymousId: '0',
        traits: { email: 'not-an-email', phone: { n: 1 } },
        context: { externalIds: [{ id: 'x', type: 'Bad Type!' }, 'nope'] },
      }),
      DEFAULT_IDENTITY_RULES,
    );
    expect(result.identifiers).toEqual([]);
    expect(result.refused).toEqual([
      { identifier: 'user_id:undefined', reason: 'blocked_value' },
      { identifier: 'anonymous_id:0', reason: 'blocked_value' },
      { identifier: 'email:not-an-email', reason: 'invalid_value' },
      { identifier: 'phone:{"n":1}', reason: 'invalid_value' },
    ]);
    expect(result.warnings.map((w) => w.code)).toEqual([
      'invalid_value',
      'invalid_value',
      'blocked_value',
      'blocked_value',
      'invalid_value',
      'invalid_value',
    ]);
  });

  test('null and undefined fields are absent, not refused', () => {
    const result = extractIdentifiers(event({ userId: null, anonymousId: 'a' }), DEFAULT_IDENTITY_RULES);
    expect(result).toEqual({ identifiers: ['anonymous_id:a'], refused: [], warnings: [] });
  });

  test('alias previousId is an anonymous_id; group traits are not the user', () => {
    expect(
      extractIdentifiers(event({ type: 'alias', userId: 'u', previousId: 'old' }), DEFAULT_IDENTITY_RULES)
        .identifiers,
    ).toEqual(['user_id:u', 'anonymous_id:old']);
    expect(
      extractIdentifiers(
        event({ type: 'track', previousId: 'old', anonymousId: 'a' }),
        DEFAULT_IDENTITY_RULES,
      ).identifiers,
    ).toEqual(['anonymous_id:a']);
    expect(
      extractIdentifiers(
        event({ type: 'group', userId: 'u', traits: { email: 'corp@x.io' } }),
        DEFAULT_IDENTITY_RULES,
      ).identifiers,
    ).toEqual(['user_id:u']);
  });

  test('phone numbers follow the tenant default region', () => {
    const rules = parseIdentityRules({ phoneDefaultRegion: 'US' });
    expect(
      extractIdentifiers(event({ userId: 'u', traits: { phone: '555-010-0123' } }), rules).identifiers,
    ).toEqual(['user_id:u', 'phone:+15550100123']);
    const refused = extractIdentifiers(
      event({ userId: 'u', traits: { phone: '555-010-0123' } }),
      DEFAULT_IDENTITY_RULES,
    );
    expect(refused.refused).toEqual([{ identifier: 'phone:555-010-0123', reason: 'invalid_value' }]);
  });
});

describe('normalizeIdentifier (user input)', () => {
  test('normalizes the value for its type', () => {
    expect(normalizeIdentifier('Email: Ann@X.io', DEFAULT_IDENTITY_RULES)).toEqual({
      ok: true,
      identifier: 'email:ann@x.io',
    });
    expect(normalizeIdentifier('user_id:a:b', DEFAULT_IDENTITY_RULES)).toEqual({
      ok: true,
      identifier: 'user_id:a:b',
    });
    expect(normalizeIdentifier('nocolon', DEFAULT_IDENTITY_RULES).ok).toBe(false);
    expect(normalizeIdentifier('bad type:x', DEFAULT_IDENTITY_RULES).ok).toBe(false);
  });

  test('splitIdentifier splits at the first colon', () => {
    expect(splitIdentifier('user_id:a:b')).toEqual(['user_id', 'a:b']);
    expect(() => splitIdentifier(':x')).toThrow('not a type:value identifier');
  });
});
