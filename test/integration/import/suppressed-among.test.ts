// SuppressionList.suppressedAmong on real Redis: the batch answer `cdp import` uses equals
// isSuppressed asked item by item, for suppressed and erasing identifiers alike, and a tenant with
// nothing suppressed is answered without extracting any identifier.
import { SuppressionList } from '../../../services/common/privacy/suppression';
import { createRedis } from '../../../services/common/redis/redis-client';
import { uniqueTenant } from '../../support/identity-graph-fixtures';
import { config } from '../../support/real-stack';

const redis = createRedis(config.CDP_REDIS_URL, 'suppressed-among-test');
const list = new SuppressionList(redis);
const tenant = uniqueTenant('among');

afterAll(async () => {
  await list.unsuppress(tenant, 'email:held@example.com');
  await list.releaseErasure(tenant, ['phone:+14155550100']);
  redis.disconnect();
});

describe('SuppressionList.suppressedAmong', () => {
  it('answers false for every item of a tenant with nothing suppressed, without reading identifiers', async () => {
    const items = [['email:a@example.com'], ['user_id:u-1']];
    const flags = await list.suppressedAmong(tenant, items, () => {
      throw new Error('identifiers read although nothing is suppressed');
    });
    expect(flags).toEqual([false, false]);
  });

  it('flags the items holding a suppressed or erasing identifier, as isSuppressed does one by one', async () => {
    await list.suppress(tenant, ['email:held@example.com'], 'among-request');
    await list.holdDuringErasure(tenant, ['phone:+14155550100'], 'among-delete');
    const items: string[][] = [
      ['user_id:u-1', 'email:held@example.com'],
      ['user_id:u-2'],
      ['phone:+14155550100'],
      [],
      ['email:held@example.com'],
      ['user_id:u-2', 'email:other@example.com'],
    ];
    const flags = await list.suppressedAmong(tenant, items, (ids) => ids);
    expect(flags).toEqual([true, false, true, false, true, false]);
    const oneByOne = await Promise.all(items.map((ids) => list.isSuppressed(tenant, ids)));
    expect(flags).toEqual(oneByOne);
  });
});
