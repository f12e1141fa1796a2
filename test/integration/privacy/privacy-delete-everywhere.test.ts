// The end-to-end delete, over every store the platform has: Ann (two anonymous devices and
// a login merge, a dead letter) also has a webhook delivery made by activation (recorded in
// `deliveries`), a delivery still queued in Redis, a journey instance waiting on a timer (its step
// rows in `journey_steps`), and a destination that declares supports_deletion. After the delete the
// receiver got exactly one signed delete call, and a scan of every store without the privacy code
// finds nothing of her: every Redis key containing the tenant, every ClickHouse table of the test
// database as text, the last record of each of her profile ids on the compacted topic. Bob, the
// neighbour sharing the household email, keeps everything.
import { Webhook } from 'standardwebhooks';
import { startWebhookReceiver, type WebhookReceiver } from '../../../bench/stages/webhook-receiver';
import { sqlIdentifier, sqlString } from '../../../services/common/clickhouse/escape-sql';
import { definitionMessage } from '../../../services/common/definitions/definitions-topic';
import { journeySchema } from '../../../services/common/definitions/kinds/journey';
import { readTopicToEnd } from '../../../services/common/kafka/read-to-end';
import { createLogger } from '../../../services/common/logger';
import { segmentMembership } from '../../../services/common/streams/segment-membership';
import { activation } from '../../../services/activation/main';
import { idempotencyId } from '../../../services/activation/delivery';
import { DeliveryQueue } from '../../../services/activation/delivery-queue';
import { deletionCall } from '../../../services/activation/delete-subject';
import { JourneyEngine } from '../../../services/journey-engine/journey-engine';
import { countJourneyState, JourneyStateStore } from '../../../services/journey-engine/journey-state-store';
import { JourneyVersions } from '../../../services/journey-engine/journey-versions';
import { drainActions, drainStepLog } from '../../../services/journey-engine/outbox-drain';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import { privateTopics } from '../../support/processor-harness';
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
import { config, createTopics, deleteTopics, testKafka, uniqueName, waitFor } from '../../support/real-stack';

jest.setTimeout(300_000);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const kafka = testKafka();
let stack: PrivacyStack;
let receiver: WebhookReceiver;
const extraTopics: string[] = [];

beforeAll(async () => {
  stack = await startPrivacyStack(kafka, 'everywhere');
  receiver = await startWebhookReceiver({ after: 'ok' });
});

afterAll(async () => {
  await receiver?.stop();
  await stack?.close();
  await deleteTopics(kafka, extraTopics);
});

async function count(sql: string): Promise<number> {
  const rows = await (
    await stack.clickhouse.query({ query: sql, format: 'JSONEachRow' })
  ).json<{ n: string }>();
  return Number(rows[0]?.n ?? 0);
}

async function define(id: string, body: Record<string, unknown>): Promise<void> {
  const message = await definitionMessage(
    stack.bed.publisher.codec,
    {
      tenant: stack.tenant,
      kind: 'destination',
      id,
      version: 1,
      body: JSON.stringify({ kind: 'destination', id, ...body }),
      updatedAt: Date.now(),
    },
    stack.definitionsTopic,
  );
  await stack.bed.publisher.producer.send([message]);
}

/** Activation on private inputs, writing its decisions to the topic the stack's sink reads. */
async function runActivationUntil(
  membership: { profileId: string }[],
  done: () => Promise<boolean>,
): Promise<void> {
  const topics = await privateTopics(kafka, activation, 1);
  extraTopics.push(
    ...Object.values<string>(topics.inputs),
    ...Object.values<string>(topics.outputs),
    topics.dlq,
  );
  const running = await activation.startWith(
    { ...config, CDP_RETRY_INITIAL_MS: 20, CDP_RETRY_MAX_MS: 500 },
    createLogger('activation-test', process.env.CDP_LOG_LEVEL ?? 'silent'),
    {
      topics: { ...topics, outputs: { ...topics.outputs, deliveries: stack.deliveriesTopic } },
      groupId: uniqueName('test.privacy.activation'),
      options: {
        tenants: stack.options.tenants,
        definitionsTopic: stack.definitionsTopic,
        pollMs: 20,
        backoff: { initialMs: 50, maxMs: 400 },
      },
    },
  );
  try {
    const messages = [];
    for (const { profileId } of membership) {
      const record = {
        changeId: `${stack.tenant}:vip:${profileId}:1`,
        tenant: stack.tenant,
        segmentId: 'vip',
        profileId,
        status: 'entered' as const,
        version: 1,
        segmentVersion: 1,
        changedAt: Date.now(),
      };
      messages.push({
        topic: topics.inputs.membership,
        key: segmentMembership.key(record),
        value: await stack.bed.publisher.codec.encodeRecord(
          segmentMembership,
          record,
          topics.inputs.membership,
        ),
      });
    }
    await stack.bed.publisher.producer.send(messages);
    await waitFor('activation delivered and its decisions are in ClickHouse', async () =>
      (await done()) ? true : undefined,
    );
  } finally {
    // Stopped before the delete: a running activation has nothing queued for Ann once her queue is
    // erased, but the test wants the queued delivery below to stay queued until then.
    await running.stop();
  }
}

test('delete reaches every store and every destination that supports deletion; nothing of the person is left', async () => {
  const { tenant, database } = stack;
  const db = sqlIdentifier(database);
  // Two destinations at the same receiver: only the one declaring supports_deletion gets a delete.
  const destination = {
    type: 'webhook',
    url: receiver.url,
    secret: SECRET,
    batch_size: 1,
    subscribe: { segments: ['vip'] },
  };
  await define('crm', { ...destination, supports_deletion: true });
  await define('ads', { ...destination, subscribe: { segments: [] }, supports_deletion: false });
  const { ann, bob, annIds } = await seedHousehold(stack);
  const annId = ann.profileId;
  const bobId = bob.profileId;

  // A webhook delivery of each, made by activation and recorded in `deliveries` by the sink.
  await runActivationUntil([{ profileId: annId }, { profileId: bobId }], async () => {
    const calls = (await receiver.accepted()).map((r) => r.body);
    return (
      calls.some((b) => b.includes(annId)) &&
      calls.some((b) => b.includes(bobId)) &&
      (await count(`SELECT count() AS n FROM ${db}.deliveries WHERE profile_id = ${sqlString(annId)}`)) > 0 &&
      (await count(`SELECT count() AS n FROM ${db}.deliveries WHERE profile_id = ${sqlString(bobId)}`)) > 0
    );
  });

  // A delivery of each still queued (its destination's worker is not running).
  const queue = new DeliveryQueue(stack.redis);
  for (const [profileId, userId] of [
    [annId, 'u-ann'],
    [bobId, 'u-bob'],
  ] as const) {
    // Ids as activation makes them: a digest, so the id markers it keeps name nobody.
    const id = idempotencyId(tenant, 'ads', `queued:${profileId}`, 'identify');
    await queue.enqueue({
      id,
      tenant,
      destinationId: 'ads',
      profileId,
      sourceStream: 'membership',
      sourceId: `queued:${profileId}`,
      createdAt: Date.now(),
      call: {
        messageId: id,
        type: 'identify',
        userId,
        timestamp: new Date().toISOString(),
        context: { cdp: { tenant, profile_id: profileId } },
      },
    });
  }
  expect(await queue.pending(tenant, 'ads')).toBe(2);

  // A journey instance of each waiting on a timer, its step rows moved to `journey_steps`.
  const journeys = new JourneyStateStore(stack.redis);
  const body = journeySchema.parse({
    kind: 'journey',
    id: 'welcome',
    trigger: { event: 'Go' },
    steps: [
      { id: 'wait', wait: { seconds: 3600 } },
      { id: 'done', exit: 'completed' },
    ],
  });
  const engine = new JourneyEngine({
    store: journeys,
    versions: new JourneyVersions(stack.redis),
    facts: { read: async () => ({ userId: null, identifiers: [], traits: {}, computed: {}, segments: [] }) },
    current: () => [{ id: 'welcome', version: 1, body }],
  });
  for (const profileId of [annId, bobId]) {
    const event = {
      messageId: `go-${profileId}`,
      type: 'track',
      event: 'Go',
      properties: {},
      timestamp: 1,
      userId: null,
    };
    expect(
      await engine.apply(tenant, profileId, { kind: 'event', id: event.messageId, at: Date.now(), event }),
    ).toBe('applied');
  }
  const actionsTopic = uniqueName('test.privacy.journey-actions');
  await createTopics(kafka, [actionsTopic], 1);
  extraTopics.push(actionsTopic);
  const outbox = {
    redis: stack.redis,
    codec: stack.bed.publisher.codec,
    producer: stack.bed.publisher.producer,
    actionsTopic,
    insertSteps: async (values: unknown[]) => {
      await stack.clickhouse.insert({ table: `${database}.journey_steps`, values, format: 'JSONEachRow' });
    },
  };
  await drainActions(outbox, tenant);
  expect(await drainStepLog(outbox, tenant)).toBeGreaterThanOrEqual(2);
  expect(await countJourneyState(stack.redis, tenant, [annId, bobId])).toBe(2);
  expect(
    await count(`SELECT count() AS n FROM ${db}.journey_steps WHERE profile_id = ${sqlString(annId)}`),
  ).toBeGreaterThan(0);

  // Delete, named by one anonymous device.
  const before = (await receiver.log()).length;
  const del = privacyRequest(tenant, 'delete', 'anonymous_id:ann-laptop');
  await sendRequest(stack, del);
  const receipt = await receiptFor(stack, del.requestId);
  expect(receipt.detail).toBeNull();
  expect(receipt.status).toBe('completed');
  expect([...receipt.profileIds].sort()).toEqual([...annIds].sort());
  const byStore = new Map(receipt.stores.map((s) => [s.store, s]));
  expect(byStore.get('destination:crm')).toEqual({
    store: 'destination:crm',
    removed: 1,
    remaining: null,
    expiresAt: null,
    note: 'deletion accepted: HTTP 200: {"ok":true}',
  });
  expect(byStore.has('destination:ads')).toBe(false);
  expect(byStore.get('redis:activation-queues')).toMatchObject({ removed: 1, remaining: 0 });
  expect(byStore.get('redis:journey-engine')).toMatchObject({ removed: 1, remaining: 0 });
  expect(byStore.get('clickhouse:deliveries')!.removed).toBeGreaterThan(0);
  expect(byStore.get('clickhouse:journey_steps')!.removed).toBeGreaterThan(0);
  expect(byStore.get('clickhouse:events')).toMatchObject({ removed: 5, remaining: 0 });
  expect(byStore.get('clickhouse:dead_letters')).toMatchObject({ removed: 1, remaining: 0 });
  for (const s of receipt.stores) if (s.remaining !== null) expect(s.remaining).toBe(0);

  // The receiver: exactly one delete call, signed with the destination's secret, naming Ann.
  const after = (await receiver.log()).slice(before);
  const deletes = after.filter((r) => (JSON.parse(r.body) as { type?: string }).type === 'delete');
  expect(deletes).toHaveLength(1);
  const call = deletes[0]!;
  const verified = new Webhook(SECRET).verify(call.body, {
    'webhook-id': call.id,
    'webhook-timestamp': call.timestamp,
    'webhook-signature': call.signature,
  }) as { userId: string; context: { cdp: { profile_id: string; identifiers: string[] } } };
  expect(call.id).toBe(
    deletionCall({ id: 'crm' } as never, {
      tenant,
      profileId: annId,
      identifiers: [],
      requestId: del.requestId,
    }).messageId,
  );
  expect(verified.userId).toBe('u-ann');
  expect(verified.context.cdp.profile_id).toBe(annId);
  expect(verified.context.cdp.identifiers).toEqual(
    expect.arrayContaining(['anonymous_id:ann-laptop', 'anonymous_id:ann-phone', 'user_id:u-ann']),
  );

  // The scans, without the privacy code. Needles: every identifier value and profile id of Ann.
  const annValues = ['u-ann', 'ann-phone', 'ann-laptop', ...annIds];
  const shared = 'home@family.example';
  let left: string[] = [];
  await waitFor('Redis without Ann', async () => {
    const dump = [...(await redisDump(stack.redis, tenant)).values()];
    left = dump.filter(
      (text) => annValues.some((n) => text.includes(n)) || (text.includes(shared) && !text.includes(bobId)),
    );
    return left.length > 0 ? undefined : true;
  }).catch(() => undefined);
  expect(left).toEqual([]);
  const dump = await redisDump(stack.redis, tenant);
  // The scan did see the engines' keys: activation's queue and the journey timers (Bob's).
  expect([...dump.keys()].some((k) => k.includes(`{a:${tenant}:ads}`))).toBe(true);
  expect([...dump.keys()].some((k) => k.endsWith(':j:timers'))).toBe(true);

  const { tables, rows } = await clickhouseRows(stack.clickhouse, database);
  expect(rows.filter((r) => annValues.some((n) => r.text.includes(n)))).toEqual([]);
  for (const r of rows.filter((row) => row.text.includes(shared))) expect(r.text).toContain(bobId);
  expect(tables).toEqual(
    expect.arrayContaining(['events', 'profiles', 'dead_letters', 'deliveries', 'journey_steps']),
  );

  const last = new Map<string, Buffer | null>();
  await readTopicToEnd({
    kafka,
    topic: stack.bed.topics.profiles,
    onRecord: async (r) => {
      if (r.key !== null) last.set(r.key.toString('utf8'), r.value);
    },
  });
  for (const id of annIds) expect(last.get(id)).toBeNull();
  expect(last.get(bobId)).not.toBeNull();

  // Bob keeps everything: graph, delivery row, queued delivery, journey instance, step rows.
  expect(await new IdentityGraph(stack.redis).getProfileByIdentifier(tenant, 'user_id:u-bob')).toEqual(bob);
  expect(
    await count(`SELECT count() AS n FROM ${db}.deliveries WHERE profile_id = ${sqlString(bobId)}`),
  ).toBeGreaterThan(0);
  expect(await queue.pending(tenant, 'ads')).toBe(1);
  expect(await countJourneyState(stack.redis, tenant, [bobId])).toBe(1);
  expect(
    await count(`SELECT count() AS n FROM ${db}.journey_steps WHERE profile_id = ${sqlString(bobId)}`),
  ).toBeGreaterThan(0);
});
