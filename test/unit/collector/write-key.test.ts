import { writeKeyFromBasicAuth, writeKeyOf } from '../../../services/collector/write-key';

const basic = (userPass: string) => `Basic ${Buffer.from(userPass).toString('base64')}`;

describe('write key', () => {
  it('reads the key as the Basic auth user with an empty password', () => {
    expect(writeKeyFromBasicAuth(basic('demo-write-key:'))).toBe('demo-write-key');
  });

  it('accepts a header without the colon and ignores a password', () => {
    expect(writeKeyFromBasicAuth(basic('demo-write-key'))).toBe('demo-write-key');
    expect(writeKeyFromBasicAuth(basic('demo-write-key:secret'))).toBe('demo-write-key');
  });

  it('finds no key in other schemes or an empty user', () => {
    expect(writeKeyFromBasicAuth('Bearer abc')).toBeUndefined();
    expect(writeKeyFromBasicAuth(basic(':password'))).toBeUndefined();
    expect(writeKeyFromBasicAuth(undefined)).toBeUndefined();
  });

  it('falls back to writeKey in the body, header first', () => {
    expect(writeKeyOf(undefined, { writeKey: 'body-key' })).toBe('body-key');
    expect(writeKeyOf(basic('header-key:'), { writeKey: 'body-key' })).toBe('header-key');
    expect(writeKeyOf(undefined, { writeKey: 42 })).toBeUndefined();
    expect(writeKeyOf(undefined, [])).toBeUndefined();
  });
});
