// The profile API on the real stack: a collector and resolver of the test's own write profiles to
// Redis, ClickHouse rows sit in a private database, and every status code of the API is exercised.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse } from '../../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../../services/common/clickhouse/migrator';
import { createLogger } from '../../../services/common/logger';
import { sha256Hex, tenantDirectory } from '../../../services/common/tenants';
import { keysCreate } from '../../../services/cli/commands/keys-command';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import { startProfileApi, type RunningProfileApi } from '../../../services/profile-api/main';
import { generateReadKey } from '../../../services/profile-api/api-keys';
import { startResolverTestBed, type ResolverTestBed } from '../../support/identity-resolver-stack';
import { validateOpenApi } from '../../support/openapi-validation';
import { config, testKafka, uniqueName, waitFor } from '../../support/real-stack';

jest.setTimeout(120_000);

const kafka = testKafka();
const run = uniqueName('pa').replace(/\./g, '-');
const tenantA = `${run}-a`;
const tenantB = `${run}-b`;
const writeKey = `${tenantA}-write-key`;
const readKeyA = generateReadKey();
const readKeyB = generateReadKey();
const database = `cdp_profile_api_${run.replace(/-/g, '_')}`;
const clickhouse = createClickHouse(config);
const quiet = createLogger('profile-api-test', 'silent');
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-profile-api-'));
const tenantsFile = path.join(dir, 'tenants.json');
const apiConfig = { ...config, CDP_TENANTS_FILE: tenantsFile, CDP_PROFILE_API_PORT: 0 };

let bed: ResolverTestBed;
let collector: RunningCollector;
let api: RunningProfileApi;
let profileId: string;

const url = (p: string, port = api.port) => `http://127.0.0.1:${port}${p}`;
/** `key` null: no Authorization header. */
const get = (p: string, key: string | null = readKeyA, port?: number) =>
  fetch(url(p, port), { headers: key === null ? {} : { authorization: `Bearer ${key}` } });

async function identify(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${collector.port}/v1/identify`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
    },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  writeFileSync(
    tenantsFile,
    JSON.stringify({
      tenants: [
        { id: tenantA, writeKeys: [writeKey], readKeyHashes: [sha256Hex(readKeyA)] },
        { id: tenantB, writeKeys: [`${tenantB}-write-key`], readKeyHashes: [sha256Hex(readKeyB)] },
      ],
    }),
  );
  await migrate(clickhouse, database, loadMigrations());
  bed = await startResolverTestBed(kafka, tenantA, 'profile-api');
  collector = await startCollector({ ...config, CDP_COLLECTOR_PORT: 0 }, quiet, {
    topic: bed.topics.input,
    tenants: tenantDirectory({ tenants: [{ id: tenantA, writeKeys: [writeKey] }] }),
  });
  api = await startProfileApi(apiConfig, quiet, { database });
  // Warm-up: the resolver's consumer has joined once this profile is readable.
  await identify({ userId: 'warm-up', traits: { plan: 'free' } });
  await waitFor('the warm-up profile', async () => {
    const res = await get('/v1/profiles/user_id:warm-up');
    return res.status === 200 ? true : undefined;
  });
});

afterAll(async () => {
  await api?.stop();
  await collector?.stop();
  await bed?.close();
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}` });
  await clickhouse.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('read-your-writes', () => {
  test('an identify is readable with min_version right after the collector answered 200', async () => {
    await identify({ userId: 'u1', traits: { email: 'Ann@Example.COM', phone: '+1 415 555 0100' } });
    const first = await get('/v1/profiles/user_id:u1?min_version=1');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-min-version-met')).toBe('true');
    const before = (await first.json()) as { profile_id: string; version: number; min_version_met: boolean };
    expect(before.min_version_met).toBe(true);
    profileId = before.profile_id;

    await identify({
      userId: 'u1',
      traits: { plan: 'pro' },
      timestamp: '2026-01-02T03:04:05.000Z',
      context: { consent: { categoryPreferences: { Marketing: true, Advertising: false } } },
    });
    const res = await get(`/v1/profiles/user_id:u1?min_version=${before.version + 1}`);
    const after = (await res.json()) as Record<string, unknown>;
    expect(after).toMatchObject({
      profile_id: profileId,
      identifiers: ['email:ann@example.com', 'phone:+14155550100', 'user_id:u1'],
      traits: { email: 'Ann@Example.COM', plan: 'pro' },
      computed: {},
      segments: [],
      consent: {
        Marketing: { granted: true, at: '2026-01-02T03:04:05.000Z' },
        Advertising: { granted: false, at: '2026-01-02T03:04:05.000Z' },
      },
      min_version_met: true,
    });
    expect(after.version).toBeGreaterThanOrEqual(before.version + 1);
    expect(typeof after.first_seen).toBe('string');
    expect(typeof after.last_seen).toBe('string');
  });

  test('a version not reached within the wait answers the current profile and says so', async () => {
    const current = (await (await get('/v1/profiles/user_id:u1')).json()) as { version: number };
    const res = await get(`/v1/profiles/user_id:u1?min_version=${current.version + 1000}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-min-version-met')).toBe('false');
    expect(await res.json()).toMatchObject({ version: current.version, min_version_met: false });
  });
});

describe('profiles by identifier', () => {
  test('e-mail and phone are normalized like the resolver does; URL-encoded or not', async () => {
    for (const p of [
      '/v1/profiles/email%3AANN%40example.com',
      '/v1/profiles/email:%20Ann@EXAMPLE.com%20',
      '/v1/profiles/phone%3A%2B1%20415%20555%200100',
    ]) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 200 });
      expect(((await res.json()) as { profile_id: string }).profile_id).toBe(profileId);
    }
  });

  test('?fields= trims the answer to the named fields plus profile_id and version', async () => {
    const res = await get('/v1/profiles/user_id:u1?fields=traits,segments');
    expect(Object.keys((await res.json()) as object).sort()).toEqual([
      'profile_id',
      'segments',
      'traits',
      'version',
    ]);
    const bad = await get('/v1/profiles/user_id:u1?fields=traits,password');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad_request' });
  });

  test('400 for a malformed identifier, 404 for an unknown one', async () => {
    for (const p of [
      '/v1/profiles/email:not-an-email',
      '/v1/profiles/no-colon',
      '/v1/profiles/Bad%20Type:x',
    ]) {
      const res = await get(p);
      expect({ p, status: res.status }).toEqual({ p, status: 400 });
      expect(await res.json()).toMatchObject({ error: 'invalid_identifier', message: expect.any(String) });
    }
    const missing = await get('/v1/profiles/user_id:nobody');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: 'not_found',
      message: 'no profile has user_id:nobody in this tenant',
    });
  });

  test("another tenant's key gets 404, exactly as for a profile that does not exist", async () => {
    const byIdentifier = await get('/v1/profiles/user_id:u1', readKeyB);
    expect(byIdentifier.status).toBe(404);
    expect(await byIdentifier.json()).toEqual({
      error: 'not_found',
      message: 'no profile has user_id:u1 in this tenant',
    });
    for (const p of [`/v1/profiles/${profileId}/events`, `/v1/profiles/${profileId}/segments`]) {
      const res = await get(p, readKeyB);
      expect({ p, status: res.status }).toEqual({ p, status: 404 });
    }
  });
});

describe('authentication', () => {
  test('401 without a key, with an unknown key, and with a write key', async () => {
    for (const key of [null, 'cdp_rk_unknown', writeKey]) {
      const res = await get('/v1/profiles/user_id:u1', key);
      expect({ key, status: res.status }).toEqual({ key, status: 401 });
      expect(await res.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    }
    const basic = await fetch(url('/v1/profiles/user_id:u1'), {
      headers: { authorization: `Basic ${Buffer.from(`${readKeyA}:`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
  });

  test('a key made by `cdp keys create` is accepted by the running API without a restart', async () => {
    const printed: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    let code: number;
    try {
      code = keysCreate(apiConfig, { tenant: tenantA, read: true, json: true });
    } finally {
      log.mockRestore();
    }
    expect(code).toBe(0);
    const created = JSON.parse(printed[0] ?? '') as { tenant: string; key: string; kind: string };
    expect(created).toMatchObject({ tenant: tenantA, kind: 'read' });
    const res = await get('/v1/profiles/user_id:u1', created.key);
    expect(res.status).toBe(200);
    // The old key still works: the new hash was appended.
    expect((await get('/v1/profiles/user_id:u1')).status).toBe(200);
  });
});

describe('events and segments from ClickHouse', () => {
  const nowS = Math.floor(Date.now() / 1000);
  const at = (secondsAgo: number) =>
    new Date((nowS - secondsAgo) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const row = (messageId: string, event: string, secondsAgo: number) => ({
    tenant: tenantA,
    message_id: messageId,
    type: 'track',
    event,
    name: '',
    user_id: 'u1',
    anonymous_id: '',
    previous_id: '',
    group_id: '',
    profile_id: profileId,
    timestamp: at(secondsAgo),
    received_at: at(secondsAgo),
    resolved_at: at(secondsAgo),
    properties: JSON.stringify({ n: messageId }),
    traits: '',
    context: '{}',
    prop_keys: ['n'],
    prop_values: [messageId],
  });

  beforeAll(async () => {
    await clickhouse.insert({
      table: `${database}.events`,
      format: 'JSONEachRow',
      values: [
        row('m1', 'Viewed', 3600),
        row('m2', 'Viewed', 7200),
        // Two events in one second: the message id orders them, and paging must not lose one.
        row('m3a', 'Ordered', 10_800),
        row('m3b', 'Ordered', 10_800),
        row('m4', 'Viewed', 14_400),
        row('old', 'Viewed', 20 * 24 * 3600),
        { ...row('other-tenant', 'Viewed', 60), tenant: tenantB },
        // Sent by a device profile merged into this one since: it belongs to the survivor.
        { ...row('m5-merged', 'Viewed', 18_000), profile_id: 'merged-device-profile' },
        { ...row('not-merged', 'Viewed', 60), profile_id: 'someone-else' },
      ],
    });
    // A replay: the sink wrote m2 a second time (another part); the page shows it once.
    await clickhouse.insert({
      table: `${database}.events`,
      format: 'JSONEachRow',
      values: [row('m2', 'Viewed', 7200)],
    });
    await clickhouse.insert({
      table: `${database}.profile_overrides`,
      format: 'JSONEachRow',
      values: [
        {
          tenant: tenantA,
          old_profile_id: 'merged-device-profile',
          override_profile_id: profileId,
          version: 1,
          merged_at: at(100),
        },
      ],
    });
    await clickhouse.insert({
      table: `${database}.segment_membership`,
      format: 'JSONEachRow',
      values: [
        {
          tenant: tenantA,
          segment_id: 'vip',
          profile_id: profileId,
          status: 'in',
          version: 1,
          changed_at: at(600),
        },
        {
          tenant: tenantA,
          segment_id: 'lapsed',
          profile_id: profileId,
          status: 'in',
          version: 1,
          changed_at: at(900),
        },
        {
          tenant: tenantA,
          segment_id: 'lapsed',
          profile_id: profileId,
          status: 'out',
          version: 2,
          changed_at: at(300),
        },
      ],
    });
  });

  async function pages(query: string): Promise<string[][]> {
    const out: string[][] = [];
    let cursor: string | null = null;
    do {
      const c: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await get(`/v1/profiles/${profileId}/events?${query}${c}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { events: { message_id: string }[]; next_cursor: string | null };
      out.push(body.events.map((e) => e.message_id));
      cursor = body.next_cursor;
    } while (cursor !== null && out.length < 10);
    return out;
  }

  test('newest first, paged by cursor, 14 days by default, `since` to go further back', async () => {
    expect(await pages('limit=2')).toEqual([
      ['m1', 'm2'],
      ['m3b', 'm3a'],
      ['m4', 'm5-merged'],
    ]);
    expect(await pages('limit=4&since=2000-01-01T00:00:00Z')).toEqual([
      ['m1', 'm2', 'm3b', 'm3a'],
      ['m4', 'm5-merged', 'old'],
    ]);
    expect(await pages('event=Ordered')).toEqual([['m3b', 'm3a']]);
    const res = await get(`/v1/profiles/${profileId}/events?limit=1`);
    expect(await res.json()).toMatchObject({
      profile_id: profileId,
      events: [{ message_id: 'm1', type: 'track', event: 'Viewed', properties: { n: 'm1' }, traits: null }],
    });
  });

  test('400 for a bad limit, cursor or since; 404 for an unknown profile', async () => {
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'cursor=bm90LWEtY3Vyc29y', 'since=yesterday']) {
      const res = await get(`/v1/profiles/${profileId}/events?${q}`);
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
      expect(await res.json()).toMatchObject({ error: 'bad_request' });
    }
    const res = await get('/v1/profiles/00000000-0000-5000-8000-000000000000/events');
    expect(res.status).toBe(404);
  });

  test('segments the profile is in now, with when it entered', async () => {
    const res = await get(`/v1/profiles/${profileId}/segments`);
    expect(await res.json()).toEqual({
      profile_id: profileId,
      segments: [
        { segment_id: 'vip', entered_at: new Date((nowS - 600) * 1000).toISOString().replace('.000Z', 'Z') },
      ],
    });
  });
});

describe('the service', () => {
  test('/openapi.json is a valid OpenAPI document listing exactly the routes', async () => {
    const res = await get('/openapi.json', null);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(validateOpenApi(doc)).toEqual({ valid: true, errors: null });
    expect(Object.fromEntries(Object.entries(doc.paths).map(([p, ops]) => [p, Object.keys(ops)]))).toEqual({
      '/v1/profiles/{identifier}': ['get'],
      '/v1/profiles/{id}/events': ['get'],
      '/v1/profiles/{id}/segments': ['get'],
      '/v1/privacy/requests': ['post'],
      '/v1/privacy/requests/{id}': ['get'],
    });
  });

  test('429 with Retry-After once a key spent its burst', async () => {
    const limited = await startProfileApi(
      { ...apiConfig, CDP_PROFILE_API_RATE_LIMIT_PER_SECOND: 0.01, CDP_PROFILE_API_RATE_LIMIT_BURST: 2 },
      quiet,
      { database },
    );
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 3; i++) {
        last = await get('/v1/profiles/user_id:u1', readKeyA, limited.port);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await last?.json()).toMatchObject({ error: 'rate_limited' });
      // Another key has its own bucket.
      expect((await get('/v1/profiles/user_id:u1', readKeyB, limited.port)).status).toBe(404);
    } finally {
      await limited.stop();
    }
  });

  test('a taken port fails start-up with the variable to change', async () => {
    await expect(startProfileApi({ ...apiConfig, CDP_PROFILE_API_PORT: api.port }, quiet)).rejects.toThrow(
      `port ${api.port} on 127.0.0.1 is taken; set CDP_PROFILE_API_PORT`,
    );
  });

  test('unknown routes answer JSON 404', async () => {
    const res = await get('/v1/nothing');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });
});
