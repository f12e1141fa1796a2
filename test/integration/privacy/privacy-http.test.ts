// Privacy requests over HTTP on the profile API, on the real stack: a privacy key posts a delete for
// a seeded person, the privacy service carries it out, and the receipt comes back through GET (from
// the API's follower of the receipts topic, also in a second API started afterwards). Every refusal
// is exercised: no key, unknown key, write key (401), read key (403), malformed input (400), another
// tenant's request (404).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../services/common/logger';
import { privacyRequests } from '../../../services/common/streams/privacy-requests';
import { sha256Hex } from '../../../services/common/tenants';
import { keysCreate } from '../../../services/cli/commands/keys-command';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import { generateApiKey } from '../../../services/profile-api/api-keys';
import { startProfileApi, type RunningProfileApi } from '../../../services/profile-api/main';
import { receiptFor, startPrivacyStack, type PrivacyStack } from '../../support/privacy-stack';
import { config, readTopic, testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(300_000);

const kafka = testKafka();
const quiet = createLogger('privacy-http-test', 'silent');
const readKey = generateApiKey('read');
const privacyKey = generateApiKey('privacy');
const otherPrivacyKey = generateApiKey('privacy');
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-privacy-http-'));
const tenantsFile = path.join(dir, 'tenants.json');
const apiConfig = { ...config, CDP_TENANTS_FILE: tenantsFile, CDP_PROFILE_API_PORT: 0 };

let stack: PrivacyStack;
let api: RunningProfileApi;
let writeKey: string;

function start(): Promise<RunningProfileApi> {
  return startProfileApi(apiConfig, quiet, {
    database: stack.database,
    privacyTopics: {
      requests: stack.privacy.topics.inputs.requests,
      receipts: stack.privacy.topics.outputs.receipts,
    },
  });
}

const url = (p: string, port = api.port) => `http://127.0.0.1:${port}${p}`;
const headers = (key: string | null): Record<string, string> =>
  key === null ? {} : { authorization: `Bearer ${key}` };
const post = (body: unknown, key: string | null = privacyKey) =>
  fetch(url('/v1/privacy/requests'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers(key) },
    body: JSON.stringify(body),
  });
const get = (p: string, key: string | null = privacyKey, port?: number) =>
  fetch(url(p, port), { headers: headers(key) });

beforeAll(async () => {
  stack = await startPrivacyStack(kafka, 'http');
  writeKey = `${stack.tenant}-write-key`;
  writeFileSync(
    tenantsFile,
    JSON.stringify({
      tenants: [
        {
          id: stack.tenant,
          writeKeys: [writeKey],
          readKeyHashes: [sha256Hex(readKey)],
          privacyKeyHashes: [sha256Hex(privacyKey)],
        },
        {
          id: `${stack.tenant}-other`,
          writeKeys: [`${stack.tenant}-other-write-key`],
          privacyKeyHashes: [sha256Hex(otherPrivacyKey)],
        },
      ],
    }),
  );
  api = await start();
});

afterAll(async () => {
  await api?.stop();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Accepted {
  request_id: string;
  status_url: string;
}

test('a privacy key deletes a person; the receipt comes back through GET, also from a new API instance', async () => {
  const { tenant } = stack;
  const ev = (id: string, fields: Record<string, unknown>) =>
    ({ messageId: id, tenant, timestamp: new Date().toISOString(), ...fields }) as never;
  await stack.bed.publisher.publish([
    ev('ann-1', { type: 'identify', userId: 'u-ann', traits: { email: 'ann@example.com' } }),
    ev('ann-2', { type: 'track', event: 'Viewed', userId: 'u-ann' }),
    ev('bob-1', { type: 'identify', userId: 'u-bob', traits: { email: 'bob@example.com' } }),
  ]);
  const graph = new IdentityGraph(stack.redis);
  const ann = await waitFor(
    'Ann in the graph',
    async () => (await graph.getProfileByIdentifier(tenant, 'user_id:u-ann')) ?? undefined,
  );
  const bob = await waitFor(
    'Bob in the graph',
    async () => (await graph.getProfileByIdentifier(tenant, 'user_id:u-bob')) ?? undefined,
  );

  // Normalized exactly like the CLI does: case and spaces of the e-mail do not matter.
  const res = await post({ action: 'delete', identifier: 'email: Ann@Example.COM ' });
  expect(res.status).toBe(202);
  const accepted = (await res.json()) as Accepted;
  expect(accepted.status_url).toBe(`/v1/privacy/requests/${accepted.request_id}`);
  // Known at once to the instance that took it: pending (or already done), never 404.
  expect([200, 202]).toContain((await get(accepted.status_url)).status);

  const body = await waitFor('the receipt over HTTP', async () => {
    const r = await get(accepted.status_url);
    return r.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined;
  });
  // The same JSON as `cdp privacy status --json` prints: the receipt record from the topic.
  const receipt = await receiptFor(stack, accepted.request_id);
  expect(body).toEqual(JSON.parse(JSON.stringify(receipt)));
  expect(receipt).toMatchObject({ tenant, action: 'delete', status: 'completed' });
  expect(receipt.profileIds).toEqual([ann.profileId]);
  expect(receipt.identifiers).toEqual(expect.arrayContaining(['email:ann@example.com', 'user_id:u-ann']));
  expect(await graph.getProfileByIdentifier(tenant, 'user_id:u-ann')).toBeNull();
  expect(await graph.getProfileByIdentifier(tenant, 'user_id:u-bob')).toEqual(bob);

  // The request on the topic: normalized identifier, attributed to the key (never the key itself).
  const [record] = await readTopic(kafka, stack.privacy.topics.inputs.requests, 1);
  const request = await stack.bed.publisher.codec.decodeRecord(privacyRequests, record!.value);
  expect(request).toMatchObject({
    requestId: accepted.request_id,
    tenant,
    action: 'delete',
    identifier: 'email:ann@example.com',
    requestedBy: `privacy-key:${sha256Hex(privacyKey).slice(0, 12)}`,
  });

  // A new instance learns requests and receipts from the topics (its look-back), not from its memory.
  const second = await start();
  try {
    const again = await get(accepted.status_url, privacyKey, second.port);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);
    // Another tenant's privacy key: that request does not exist for it.
    const foreign = await get(accepted.status_url, otherPrivacyKey, second.port);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ error: 'not_found' });
  } finally {
    await second.stop();
  }
});

test('a request not carried out yet answers 202 pending; requested_by is recorded', async () => {
  // The other tenant's requests go to the same privacy service; a not_found receipt ends this one.
  const res = await post(
    { action: 'access', identifier: 'user_id:nobody', requested_by: 'dpo@example.com' },
    otherPrivacyKey,
  );
  expect(res.status).toBe(202);
  const { status_url: statusUrl, request_id: id } = (await res.json()) as Accepted;
  const first = await get(statusUrl, otherPrivacyKey);
  if (first.status === 202) expect(await first.json()).toEqual({ request_id: id, status: 'pending' });
  else expect(first.status).toBe(200);
  const receipt = await waitFor('the not_found receipt', async () => {
    const r = await get(statusUrl, otherPrivacyKey);
    return r.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined;
  });
  expect(receipt).toMatchObject({ requestId: id, status: 'not_found', tenant: `${stack.tenant}-other` });
  expect((await get(statusUrl, privacyKey)).status).toBe(404);
  const records = await readTopic(kafka, stack.privacy.topics.inputs.requests, 2);
  const decoded = await Promise.all(
    records.map((r) => stack.bed.publisher.codec.decodeRecord(privacyRequests, r.value)),
  );
  expect(decoded.find((r) => r.requestId === id)?.requestedBy).toBe('dpo@example.com');
});

test('400 for a malformed identifier (named), an unknown action or a missing field', async () => {
  const bad = await post({ action: 'delete', identifier: 'email:not-an-email' });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toEqual({
    error: 'invalid_identifier',
    message: 'invalid identifier "email:not-an-email": not an email address',
  });
  for (const body of [
    { action: 'erase', identifier: 'user_id:u1' },
    { action: 'delete' },
    { action: 'delete', identifier: '' },
    { action: 'delete', identifier: 'no-colon' },
  ]) {
    const res = await post(body);
    expect({ body, status: res.status }).toEqual({ body, status: 400 });
    expect(await res.json()).toMatchObject({ message: expect.any(String) });
  }
});

test('401 without a key, with an unknown key or a write key; 403 for a read key; a privacy key reads no profile', async () => {
  for (const key of [null, 'cdp_pk_unknown', writeKey]) {
    const res = await post({ action: 'delete', identifier: 'user_id:u-bob' }, key);
    expect({ key, status: res.status }).toEqual({ key, status: 401 });
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    expect((await get('/v1/privacy/requests/x', key)).status).toBe(401);
  }
  const byReadKey = await post({ action: 'delete', identifier: 'user_id:u-bob' }, readKey);
  expect(byReadKey.status).toBe(403);
  expect(await byReadKey.json()).toEqual({
    error: 'forbidden',
    message: 'read keys cannot make privacy requests; use a privacy key (cdp keys create --privacy)',
  });
  expect((await get('/v1/privacy/requests/x', readKey)).status).toBe(403);
  const profileByPrivacyKey = await get('/v1/profiles/user_id:u-bob', privacyKey);
  expect(profileByPrivacyKey.status).toBe(403);
  expect(await profileByPrivacyKey.json()).toMatchObject({ error: 'forbidden' });
  // The read key still reads: Bob is intact.
  expect((await get('/v1/profiles/user_id:u-bob', readKey)).status).toBe(200);
  expect((await get('/v1/privacy/requests/no-such-request')).status).toBe(404);
});

test('a key made by `cdp keys create --privacy` is taken by the running API', async () => {
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  let code: number;
  try {
    code = keysCreate(apiConfig, { tenant: stack.tenant, privacy: true, json: true });
  } finally {
    log.mockRestore();
  }
  expect(code).toBe(0);
  const created = JSON.parse(printed[0] ?? '') as { key: string; kind: string };
  expect(created.kind).toBe('privacy');
  expect(created.key.startsWith('cdp_pk_')).toBe(true);
  const res = await post({ action: 'unsuppress', identifier: 'user_id:u-bob' }, created.key);
  expect(res.status).toBe(202);
  expect((await get('/v1/profiles/user_id:u-bob', created.key)).status).toBe(403);
});
