// A raw record's body must name the tenant its Kafka key names, else it goes to the DLQ.
import { PoisonMessageError, type ConsumedMessage } from '../../../services/common/kafka/consumed-message';
import { assertKeyTenant } from '../../../services/identity-resolver/resolver-handler';

const record = (key: string | null): ConsumedMessage => ({
  topic: 'cdp.events.raw.v1',
  partition: 0,
  offset: '0',
  key: key === null ? null : Buffer.from(key),
  value: null,
  headers: {},
  timestamp: 0,
});

describe('assertKeyTenant', () => {
  it('accepts a body whose tenant the key names', () => {
    expect(() => assertKeyTenant(record('shop:user_id:u-1'), 'shop', 'm-1')).not.toThrow();
  });

  it.each([
    ['another tenant', 'other:user_id:u-1'],
    ['a tenant that only starts the same', 'shop2:user_id:u-1'],
    ['a key without a tenant', 'shop'],
    ['no key', null],
  ])('dead-letters %s as TenantMismatch', (_what, key) => {
    let error: unknown;
    try {
      assertKeyTenant(record(key), 'shop', 'm-1');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect((error as PoisonMessageError).errorClass).toBe('TenantMismatch');
    expect((error as Error).message).toMatch(/^event m-1: body tenant 'shop' does not match the record key/);
  });
});
