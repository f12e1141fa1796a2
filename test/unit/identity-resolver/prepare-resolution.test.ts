import { DEFAULT_IDENTITY_RULES } from '../../../services/identity-resolver/identity-rules';
import { prepareResolution } from '../../../services/identity-resolver/prepare-resolution';
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
