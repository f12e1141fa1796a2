// Imported identify rows and live tracking events for the same people become one profile each:
// `cdp import` writes the CRM rows to the raw topic a resolver reads, then a collector receives
// track events over HTTP for the same people (one by userId, one by a device's anonymousId plus
// the e-mail). A second import of the same file changes no profile (messageId dedupe).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { createLogger } from '../../../services/common/logger';
import { tenantDirectory } from '../../../services/common/tenants';
import { importFiles } from '../../../services/cli/commands/import-command';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import { deleteTenantKeys, testRedis, uniqueTenant } from '../../support/identity-graph-fixtures';
import { startResolverTestBed, type ResolverTestBed } from '../../support/identity-resolver-stack';
import { importConfig, importTestDir, withStderr } from '../../support/import-stack';
import { recordCount } from '../../support/raw-events';
import { config, testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const tenant = uniqueTenant('import-stitch');
const writeKey = `${tenant}-write-key`;
const dir = importTestDir();
const cfg = importConfig(dir, tenant);
const csv = path.join(dir, 'crm.csv');
let redis: Redis;
let bed: ResolverTestBed | undefined;
let collector: RunningCollector | undefined;

beforeAll(async () => {
  writeFileSync(
    csv,
    'user_id,email,plan\nu-ann,Ann@Example.com,pro\n,bo@example.com,free\nu-cy,cy@example.com,starter\n',
  );
  redis = testRedis();
  bed = await startResolverTestBed(kafka, tenant, 'import-stitch');
  collector = await startCollector(
    { ...config, CDP_COLLECTOR_PORT: 0 },
    createLogger('collector', 'silent'),
    {
      topic: bed.topics.input,
      tenants: tenantDirectory({ tenants: [{ id: tenant, writeKeys: [writeKey] }] }),
    },
  );
});

afterAll(async () => {
  await collector?.stop();
  await bed?.close();
  await deleteTenantKeys(redis, tenant);
  await redis.quit();
});

async function resolved(count: number): Promise<void> {
  await waitFor(`${count} resolved events`, async () =>
    (await recordCount(kafka, bed!.topics.resolved)) >= count ? true : undefined,
  );
}

async function post(batch: unknown[]): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${collector!.port}/v1/batch`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ batch }),
  });
  expect([response.status, await response.json()]).toEqual([200, { success: true }]);
}

describe('cdp import then live events', () => {
  it('stitches imported rows and tracked events into one profile per person', async () => {
    const first = await withStderr(() => importFiles(cfg, [csv], { tenant, topic: bed!.topics.input }));
    expect(first.result.code).toBe(0);
    expect(first.result.counters).toMatchObject({ rowsRead: 3, sent: 3, rejected: 0 });
    await resolved(3);

    await post([
      { type: 'track', userId: 'u-ann', event: 'Order Completed', properties: { total: 12 } },
      {
        type: 'track',
        anonymousId: 'web-bo',
        event: 'Product Viewed',
        context: { traits: { email: 'bo@example.com' } },
      },
      { type: 'track', anonymousId: 'web-cy', event: 'Product Viewed' },
      { type: 'identify', anonymousId: 'web-cy', userId: 'u-cy' },
    ]);
    await resolved(7);

    const graph = new IdentityGraph(redis);
    const profileOf = (id: string) => graph.getProfileByIdentifier(tenant, id);
    const ann = await profileOf('email:ann@example.com');
    expect(ann).not.toBeNull();
    expect((await profileOf('user_id:u-ann'))?.profileId).toBe(ann!.profileId);
    expect(ann!.traits).toEqual({ email: 'Ann@Example.com', plan: 'pro' });

    const bo = await profileOf('email:bo@example.com');
    expect((await profileOf('anonymous_id:web-bo'))?.profileId).toBe(bo!.profileId);
    expect(bo!.identifiers.filter((i) => i.startsWith('anonymous_id:import-'))).toHaveLength(1);
    expect(bo!.traits).toEqual({ email: 'bo@example.com', plan: 'free' });

    const cy = await profileOf('anonymous_id:web-cy');
    expect((await profileOf('email:cy@example.com'))?.profileId).toBe(cy!.profileId);
    expect(new Set([ann!.profileId, bo!.profileId, cy!.profileId]).size).toBe(3);

    // Importing the same file again: the resolver re-sends the resolved events, and no profile changes.
    const before = await Promise.all(
      ['email:ann@example.com', 'email:bo@example.com', 'email:cy@example.com'].map(profileOf),
    );
    const again = await withStderr(() => importFiles(cfg, [csv], { tenant, topic: bed!.topics.input }));
    expect(again.result.code).toBe(0);
    await resolved(10);
    const after = await Promise.all(
      ['email:ann@example.com', 'email:bo@example.com', 'email:cy@example.com'].map(profileOf),
    );
    expect(after).toEqual(before);
  });
});
