import { normalizeIdentifierValue } from '../../../services/identity-resolver/normalize-identifier';

describe('normalizeIdentifierValue', () => {
  test('email: trimmed and lower-cased; not an address: refused', () => {
    expect(normalizeIdentifierValue('email', '  Ann.Lee@Example.COM ')).toEqual({
      ok: true,
      value: 'ann.lee@example.com',
    });
    expect(normalizeIdentifierValue('email', 'ann at example')).toEqual({
      ok: false,
      reason: 'not an email address',
    });
  });

  test('phone: E.164, with the default region for national numbers', () => {
    expect(normalizeIdentifierValue('phone', '+44 20 7946 0958')).toEqual({
      ok: true,
      value: '+442079460958',
    });
    expect(normalizeIdentifierValue('phone', '0044 20 7946 0958')).toEqual({
      ok: true,
      value: '+442079460958',
    });
    expect(normalizeIdentifierValue('phone', '(555) 010-0123', { phoneDefaultRegion: 'US' })).toEqual({
      ok: true,
      value: '+15550100123',
    });
    expect(normalizeIdentifierValue('phone', '030 123456', { phoneDefaultRegion: 'DE' })).toEqual({
      ok: true,
      value: '+4930123456',
    });
  });

  test('phone: unparseable numbers are refused, not guessed', () => {
    const national = normalizeIdentifierValue('phone', '(555) 010-0123');
    expect(national).toEqual({ ok: false, reason: expect.stringContaining('no phoneDefaultRegion') });
    expect(normalizeIdentifierValue('phone', '12', { phoneDefaultRegion: 'US' }).ok).toBe(false);
    expect(normalizeIdentifierValue('phone', 'call me', { phoneDefaultRegion: 'US' }).ok).toBe(false);
  });

  test('device ids are lower-cased; user and anonymous ids keep their case', () => {
    expect(normalizeIdentifierValue('device_id', ' 6D92078A-8246-4BA4-AE5B-76104861E7DC ')).toEqual({
      ok: true,
      value: '6d92078a-8246-4ba4-ae5b-76104861e7dc',
    });
    expect(normalizeIdentifierValue('user_id', ' User-42 ')).toEqual({ ok: true, value: 'User-42' });
    expect(normalizeIdentifierValue('crm_id', 'AbC')).toEqual({ ok: true, value: 'AbC' });
  });

  test('values that are not valid Unicode are refused (Redis cjson could not carry them)', () => {
    expect(normalizeIdentifierValue('user_id', 'a\ud800b')).toEqual({
      ok: false,
      reason: 'not valid Unicode (lone surrogate)',
    });
    expect(normalizeIdentifierValue('user_id', 'José 😀')).toEqual({ ok: true, value: 'José 😀' });
  });

  test('empty and over-long values are refused', () => {
    expect(normalizeIdentifierValue('user_id', '   ').ok).toBe(false);
    expect(normalizeIdentifierValue('user_id', 'x'.repeat(513)).ok).toBe(false);
    expect(normalizeIdentifierValue('user_id', 'x'.repeat(512)).ok).toBe(true);
  });
});
