// A person across two anonymous devices and a login merge, a neighbour sharing the household email,
// a dead letter and segment membership; access, then delete. Afterwards every store is scanned
// without the privacy code: Redis (SCAN over the tenant's keys), every ClickHouse table of the
// database as text, the compacted profile topic to its end. Nothing of the person is left; the
// neighbour is intact.
import { readFileSync } from 'node:fs';
import { sqlIdentifier, sqlString } from '../../../services/common/clickhouse/escape-sql';
import { readTopicToEnd } from '../../../services/common/kafka/read-to-end';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import {
  clickhouseRows,
  privacyRequest,
  receiptFor,
  redisDump,
  seedHousehold,
  sendRequest,
  startPrivacyStack,
  type PrivacyStack,
} from '../../support/privacy-stack';
import { testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(300_000);

const kafka = testKafka();
let stack: PrivacyStack;

async function count(sql: string): Promise<number> {
  const rows = await (
    await stack.clickhouse.query({ query: sql, format: 'JSONEachRow' })
  ).json<{ n: string }>();
  return Number(rows[0]?.n ?? 0);
}

beforeAll(async () => {
  stack = await startPrivacyStack(kafka, 'delete');
});

afterAll(async () => {
  await stack?.close();
});

test('access exports the whole person; delete leaves nothing of them in any store, and the neighbour intact', async () => {
  const { tenant, database } = stack;
  const db = sqlIdentifier(database);
  const { ann, bob, annIds } = await seedHousehold(stack);
  const graph = new IdentityGraph(stack.redis);
  expect(annIds.length).toBeGreaterThanOrEqual(2);
  expect(ann.identifiers).toEqual(
    expect.arrayContaining([
      'anonymous_id:ann-laptop',
      'anonymous_id:ann-phone',
      'email:home@family.example',
    ]),
  );
  expect(bob.identifiers).not.toContain('email:home@family.example');
  // Segment membership rows (the segment engine's table) for both.
  await stack.clickhouse.insert({
    table: `${database}.segment_membership`,
    format: 'JSONEachRow',
    values: [
      {
        tenant,
        segment_id: 'vip',
        profile_id: ann.profileId,
        status: 'in',
        version: 1,
        changed_at: '2026-01-01 00:00:00',
      },
      {
        tenant,
        segment_id: 'vip',
        profile_id: bob.profileId,
        status: 'in',
        version: 1,
        changed_at: '2026-01-01 00:00:00',
      },
    ],
  });

  // Access first: one document with everything.
  const access = privacyRequest(tenant, 'access', 'anonymous_id:ann-laptop');
  await sendRequest(stack, access);
  const accessReceipt = await receiptFor(stack, access.requestId);
  expect(accessReceipt.status).toBe('completed');
  const doc = JSON.parse(readFileSync(accessReceipt.exportPath!, 'utf8')) as {
    subject: { profileIds: string[]; identifiers: string[] };
    state: Record<string, { identifiers: string[] }[]>;
    tables: Record<string, { message_id?: string }[]>;
  };
  expect(doc.subject.profileIds.sort()).toEqual([...annIds].sort());
  expect(doc.tables.events!.map((e) => e.message_id).sort()).toEqual([
    'ann-1',
    'ann-2',
    'ann-3',
    'ann-4',
    'ann-5',
  ]);
  expect(doc.tables.dead_letters).toHaveLength(1);
  expect(doc.tables.segment_membership).toHaveLength(1);
  expect(doc.state['redis:identity-graph']![0]!.identifiers).toContain('user_id:u-ann');

  // Delete, named by one anonymous device.
  const del = privacyRequest(tenant, 'delete', 'anonymous_id:ann-phone');
  await sendRequest(stack, del);
  const receipt = await receiptFor(stack, del.requestId);
  expect(receipt.status).toBe('completed');
  expect(receipt.receiptId).toBe(`receipt:${del.requestId}`);
  expect([...receipt.profileIds].sort()).toEqual([...annIds].sort());
  const byStore = new Map(receipt.stores.map((s) => [s.store, s]));
  expect(byStore.get('clickhouse:events')).toMatchObject({ removed: 5, remaining: 0 });
  expect(byStore.get('clickhouse:dead_letters')).toMatchObject({ removed: 1, remaining: 0 });
  expect(byStore.get('clickhouse:segment_membership')).toMatchObject({ removed: 1, remaining: 0 });
  expect(byStore.get('redis:identity-graph')!.remaining).toBe(0);
  expect(byStore.get(`kafka:${stack.bed.topics.profiles}`)!.removed).toBe(annIds.length);
  expect(byStore.get(`kafka:${stack.bed.topics.input}`)!.expiresAt).toBeGreaterThan(Date.now());
  for (const s of receipt.stores) if (s.remaining !== null) expect(s.remaining).toBe(0);

  // The scans: needles are every identifier value and profile id of Ann.
  const annValues = ['u-ann', 'ann-phone', 'ann-laptop', ...annIds];
  const shared = 'home@family.example';
  // Redis: nothing of Ann (the request's progress goes once its receipt is acknowledged).
  let left: string[] = [];
  await waitFor('Redis without Ann', async () => {
    const dump = [...(await redisDump(stack.redis, tenant)).values()];
    // The shared email may stay where it is Bob's (his profile's email trait), nowhere else.
    left = dump.filter(
      (text) =>
        annValues.some((n) => text.includes(n)) || (text.includes(shared) && !text.includes(bob.profileId)),
    );
    return left.length > 0 ? undefined : true;
  }).catch(() => undefined);
  expect(left).toEqual([]);
  // ClickHouse: no row names Ann; the shared email appears only in rows of Bob's profile.
  const { tables, rows } = await clickhouseRows(stack.clickhouse, database);
  expect(rows.filter((r) => annValues.some((n) => r.text.includes(n)))).toEqual([]);
  for (const r of rows.filter((row) => row.text.includes(shared))) expect(r.text).toContain(bob.profileId);
  // Every table was scanned, including ones the privacy code might not know.
  expect(tables).toEqual(
    expect.arrayContaining(['events', 'profiles', 'identities', 'dead_letters', 'segment_membership']),
  );
  expect(rows.length).toBeGreaterThan(0);
  // The compacted topic ends with a tombstone for every one of Ann's profile ids.
  const last = new Map<string, Buffer | null>();
  await readTopicToEnd({
    kafka,
    topic: stack.bed.topics.profiles,
    onRecord: async (r) => {
      if (r.key !== null) last.set(r.key.toString('utf8'), r.value);
    },
  });
  for (const id of annIds) expect(last.get(id)).toBeNull();
  expect(last.get(bob.profileId)).not.toBeNull();

  // Bob is intact: graph, events, profile row, membership.
  expect(await graph.getProfileByIdentifier(tenant, 'user_id:u-bob')).toEqual(bob);
  expect(
    await count(`SELECT count() AS n FROM ${db}.events WHERE profile_id = ${sqlString(bob.profileId)}`),
  ).toBe(2);
  expect(
    await count(
      `SELECT count() AS n FROM ${db}.segment_membership WHERE profile_id = ${sqlString(bob.profileId)}`,
    ),
  ).toBe(1);
  // The hold of the delete is released: Ann may come back as a new person.
  expect(await stack.redis.hlen(`{t:${tenant}}:privacy:erasing`)).toBe(0);
});

test('an unknown identifier gets a not_found receipt; another tenant finds nothing', async () => {
  const unknown = privacyRequest(stack.tenant, 'delete', 'email:nobody@example.com');
  await sendRequest(stack, unknown);
  expect(await receiptFor(stack, unknown.requestId)).toMatchObject({ status: 'not_found', stores: [] });
  const foreign = privacyRequest(`${stack.tenant}-other`, 'delete', 'user_id:u-bob');
  await sendRequest(stack, foreign);
  expect(await receiptFor(stack, foreign.requestId)).toMatchObject({ status: 'not_found', profileIds: [] });
  expect(
    await new IdentityGraph(stack.redis).getProfileByIdentifier(stack.tenant, 'user_id:u-bob'),
  ).not.toBeNull();
  const stranger = privacyRequest('not-a-tenant', 'delete', 'user_id:u-bob');
  await sendRequest(stack, stranger);
  expect(await receiptFor(stack, stranger.requestId)).toMatchObject({ status: 'failed' });
});
