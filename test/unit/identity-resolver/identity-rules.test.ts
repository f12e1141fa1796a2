import {
  DEFAULT_IDENTITY_RULES,
  compareTypePriority,
  isBlockedValue,
  limitFor,
  parseIdentityRules,
  priorityRank,
} from '../../../services/identity-resolver/identity-rules';

describe('identity rules', () => {
  test('absent rules give the documented defaults', () => {
    const rules = parseIdentityRules(undefined, 'demo');
    expect(limitFor(rules, 'user_id')).toBe(1);
    expect(limitFor(rules, 'anonymous_id')).toBe(50);
    expect(limitFor(rules, 'email')).toBe(5);
    expect(limitFor(rules, 'crm_id')).toBe(5);
    expect(rules.maxIdentifiersPerProfile).toBe(1000);
    expect(rules.maxMergesPerProfile).toBe(100);
    expect(rules.dedupeWindowSeconds).toBe(7 * 24 * 3600);
    expect(rules.phoneDefaultRegion).toBeUndefined();
    expect(rules.maxIdentifiersPerEvent).toBe(50);
    expect(rules.maxTraitsPerProfile).toBe(500);
    expect(rules.maxTraitBytesPerProfile).toBe(65536);
    expect(rules.eventTimeMaxFutureSeconds).toBe(3600);
    expect(rules.eventTimeMaxPastSeconds).toBeUndefined();
    expect(rules.outcomeTtlSeconds).toBe(86400);
  });

  test('the caps, the event-time window and the outcome TTL are set per tenant and checked', () => {
    const rules = parseIdentityRules({
      maxIdentifiersPerEvent: 10,
      maxTraitsPerProfile: 20,
      maxTraitBytesPerProfile: 4096,
      eventTimeMaxFutureSeconds: 0,
      eventTimeMaxPastSeconds: 86400,
      outcomeTtlSeconds: 600,
    });
    expect(rules).toMatchObject({
      maxIdentifiersPerEvent: 10,
      maxTraitsPerProfile: 20,
      maxTraitBytesPerProfile: 4096,
      eventTimeMaxFutureSeconds: 0,
      eventTimeMaxPastSeconds: 86400,
      outcomeTtlSeconds: 600,
    });
    expect(() => parseIdentityRules({ maxTraitsPerProfile: 0 }, 'shop')).toThrow(
      /identity\.maxTraitsPerProfile/,
    );
    expect(() => parseIdentityRules({ maxIdentifiersPerEvent: 100_000 }, 'shop')).toThrow(
      /identity\.maxIdentifiersPerEvent/,
    );
  });

  test('priority: listed types in order, unlisted at `*` alphabetically, anonymous_id last', () => {
    const types = ['anonymous_id', 'zeta_id', 'crm_id', 'phone', 'device_id', 'email', 'user_id'];
    const sorted = [...types].sort((a, b) => compareTypePriority(DEFAULT_IDENTITY_RULES, a, b));
    expect(sorted).toEqual(['user_id', 'email', 'phone', 'device_id', 'crm_id', 'zeta_id', 'anonymous_id']);
    const noStar = parseIdentityRules({ priority: ['email', 'user_id'] });
    expect(priorityRank(noStar, 'email')).toBe(0);
    expect(priorityRank(noStar, 'phone')).toBe(2);
    expect(priorityRank(noStar, 'anonymous_id')).toBe(2);
  });

  test('tenant limits merge over the defaults', () => {
    const rules = parseIdentityRules({ limits: { email: 2 }, defaultLimit: 3 });
    expect(limitFor(rules, 'email')).toBe(2);
    expect(limitFor(rules, 'user_id')).toBe(1);
    expect(limitFor(rules, 'phone')).toBe(3);
  });

  test.each([
    ['null'],
    ['NULL'],
    ['undefined'],
    ['Anonymous'],
    ['0'],
    ['000'],
    ['-1'],
    ['---'],
    [''],
    ['[object Object]'],
  ])('blocks %j by default', (value) => {
    expect(isBlockedValue(DEFAULT_IDENTITY_RULES, 'user_id', value)).toBe(true);
  });

  test.each([['10'], ['user-0'], ['nullable'], ['-12']])('does not block %j', (value) => {
    expect(isBlockedValue(DEFAULT_IDENTITY_RULES, 'user_id', value)).toBe(false);
  });

  test('per-type blocked values add to the global list', () => {
    const rules = parseIdentityRules({ blockedValuesByType: { email: ['@example\\.com$'] } });
    expect(isBlockedValue(rules, 'email', 'a@example.com')).toBe(true);
    expect(isBlockedValue(rules, 'user_id', 'a@example.com')).toBe(false);
    expect(isBlockedValue(rules, 'email', 'null')).toBe(true);
  });

  test.each([
    [{ limits: { email: 0 } }, /identity\.limits\.email: .*>=1/],
    [{ limits: { Email: 2 } }, /identity\.limits\.Email: invalid key/],
    [{ blockedValues: ['(unclosed'] }, /identity\.blockedValues\.0: not a valid regular expression/],
    [{ priority: ['email', 'email'] }, /identity\.priority: must not list a type twice/],
    [{ limit: { email: 2 } }, /identity: Unrecognized key: "limit"/],
    [{ phoneDefaultRegion: 'XX' }, /identity\.phoneDefaultRegion: must be a supported ISO/],
    [{ maxIdentifiersPerProfile: 1.5 }, /identity\.maxIdentifiersPerProfile/],
    ['strict', /identity: .*object/],
  ])('invalid rules %j fail with a clear message naming tenant and path', (raw, message) => {
    expect(() => parseIdentityRules(raw, 'acme')).toThrow(/^invalid identity rules for tenant 'acme': /);
    expect(() => parseIdentityRules(raw, 'acme')).toThrow(message);
  });
});
