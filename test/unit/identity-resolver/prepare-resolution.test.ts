import { DEFAULT_IDENTITY_RULES } from '../../../services/identity-resolver/identity-rules';
import { parseIdentityRules } from '../../../services/identity-resolver/identity-rules';
import { orderingTime, prepareResolution } from '../../../services/identity-resolver/prepare-resolution';
import { profileIdFor } from '../../../services/identity-resolver/profile-id';

const base = { messageId: 'm-1', tenant: 'demo', type: 'identify', timestamp: '2025-01-01T00:00:01.500Z' };

describe('prepareResolution', () => {
  test('builds the request: identifiers with candidate ids, trait operations, refusals', () => {
    const result = prepareResolution(
      { ...base, userId: 'u', anonymousId: 'null', traits: { plan: 'pro' } },
      DEFAULT_IDENTITY_RULES,
    );
    expect(result).toEqual({
      ok: true,
      request: {
        tenant: 'demo',
        messageId: 'm-1',
        timestampMs: Date.UTC(2025, 0, 1, 0, 0, 1, 500),
        identifiers: ['user_id:u'],
        founderProfileId: profileIdFor('demo', 'user_id:u'),
        traitOperations: [{ name: 'plan', kind: 'set', value: '"pro"' }],
        refused: [{ identifier: 'anonymous_id:null', reason: 'blocked_value' }],
        warnings: [expect.objectContaining({ code: 'blocked_value', identifier: 'anonymous_id:null' })],
      },
    });
  });

  test.each([
    [{ tenant: '{evil}' }, 'invalid tenant'],
    [{ messageId: '' }, 'messageId is required'],
    [{ messageId: 'x'.repeat(101) }, 'messageId is longer than 100 characters'],
    [{ timestamp: 'not a date' }, 'is not an ISO 8601 date'],
  ])('rejects %j with a reason', (override, reason) => {
    const result = prepareResolution({ ...base, userId: 'u', ...override }, DEFAULT_IDENTITY_RULES);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });
});

describe('event time used for ordering', () => {
  const received = Date.UTC(2025, 5, 1, 12);
  const receivedAt = new Date(received).toISOString();

  test('a time far in the future is ordered as receivedAt, with a warning', () => {
    const result = prepareResolution(
      { ...base, userId: 'u', timestamp: '9999-12-31T00:00:00.000Z', receivedAt },
      DEFAULT_IDENTITY_RULES,
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.request.timestampMs).toBe(received);
    expect(result.request.warnings).toEqual([
      expect.objectContaining({ code: 'timestamp_clamped', message: expect.stringContaining('9999-12-31') }),
    ]);
  });

  test('within the future tolerance, and any past time (historical imports), is kept', () => {
    const rules = DEFAULT_IDENTITY_RULES;
    expect(orderingTime(received + 3_600_000, received, rules)).toEqual({
      ms: received + 3_600_000,
      clamped: null,
    });
    expect(orderingTime(received + 3_600_001, received, rules)).toEqual({ ms: received, clamped: 'future' });
    expect(orderingTime(Date.UTC(2001, 0, 1), received, rules)).toEqual({
      ms: Date.UTC(2001, 0, 1),
      clamped: null,
    });
    // No receivedAt (an event built by hand): nothing to compare with.
    expect(orderingTime(Date.UTC(9999, 0, 1), undefined, rules).clamped).toBeNull();
  });

  test('a tenant may bound the past too, and tighten the future', () => {
    const rules = parseIdentityRules({ eventTimeMaxPastSeconds: 86400, eventTimeMaxFutureSeconds: 0 });
    expect(orderingTime(received - 86_400_001, received, rules)).toEqual({
      ms: received - 86_400_000,
      clamped: 'past',
    });
    expect(orderingTime(received + 1, received, rules)).toEqual({ ms: received, clamped: 'future' });
  });
});

describe('identifiers per event', () => {
  test('fields past the cap are ignored with one warning, however many there are', () => {
    const externalIds = Array.from({ length: 800 }, (_, i) => ({ id: `x${i}`, type: 'crm_id' }));
    const result = prepareResolution(
      { ...base, userId: 'u', context: { externalIds } },
      parseIdentityRules({ maxIdentifiersPerEvent: 5 }),
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.request.identifiers).toEqual([
      'user_id:u',
      'crm_id:x0',
      'crm_id:x1',
      'crm_id:x2',
      'crm_id:x3',
    ]);
    expect(result.request.warnings).toEqual([
      {
        code: 'event_identifier_cap',
        message: '796 identifier fields past the first 5 of the event ignored',
      },
    ]);
  });

  test('malformed entries past the cap are not even read: no warning each', () => {
    const externalIds = Array.from({ length: 800 }, () => 'not an object');
    const result = prepareResolution(
      { ...base, userId: 'u', context: { externalIds } },
      DEFAULT_IDENTITY_RULES,
    );
    if (!result.ok) throw new Error(result.reason);
    expect(result.request.warnings.filter((w) => w.code === 'invalid_value')).toHaveLength(49);
    expect(result.request.warnings.filter((w) => w.code === 'event_identifier_cap')).toHaveLength(1);
  });
});
