// Suppress, then send events for each of the person's identifiers over HTTP (collector) and straight
// to Kafka (resolver): none lands anywhere. Unsuppress: new events land again.
import { sqlIdentifier, sqlString } from '../../../services/common/clickhouse/escape-sql';
import { createLogger } from '../../../services/common/logger';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import { readRawEvents, recordCount } from '../../support/raw-events';
import { IdentityGraph } from '../../../services/identity-resolver/identity-graph';
import {
  privacyRequest,
  receiptFor,
  sendRequest,
  startPrivacyStack,
  type PrivacyStack,
} from '../../support/privacy-stack';
import { config, testKafka, waitFor } from '../../support/real-stack';

jest.setTimeout(300_000);

const kafka = testKafka();
let stack: PrivacyStack;
let collector: RunningCollector;

beforeAll(async () => {
  stack = await startPrivacyStack(kafka, 'suppress');
  collector = await startCollector(
    { ...config, CDP_COLLECTOR_PORT: 0 },
    createLogger('collector-test', 'silent'),
    {
      topic: stack.bed.topics.input,
      tenants: stack.options.tenants,
    },
  );
});

afterAll(async () => {
  await collector?.stop();
  await stack?.close();
});

async function count(sql: string): Promise<number> {
  const rows = await (
    await stack.clickhouse.query({ query: sql, format: 'JSONEachRow' })
  ).json<{ n: string }>();
  return Number(rows[0]?.n ?? 0);
}

async function post(batch: Record<string, unknown>[]): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${collector.port}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${stack.tenant}-write-key:`).toString('base64')}`,
    },
    body: JSON.stringify({ batch }),
  });
  return response.status;
}

/** One event per identifier of Sue's: user id, anonymous id, email (on an unknown device). */
function sueEvents(prefix: string): Record<string, unknown>[] {
  return [
    { type: 'track', event: 'Viewed', messageId: `${prefix}-user`, userId: 'u-sue' },
    { type: 'track', event: 'Viewed', messageId: `${prefix}-anon`, anonymousId: 'sue-anon' },
    {
      type: 'identify',
      messageId: `${prefix}-email`,
      anonymousId: 'new-device',
      traits: { email: 'Sue@Example.com' },
    },
  ];
}

test('a suppressed person is dropped at the collector and at the resolver; unsuppress lets new events in', async () => {
  const { tenant, database } = stack;
  const db = sqlIdentifier(database);
  const events = (where: string) =>
    count(`SELECT count() AS n FROM ${db}.events WHERE tenant = ${sqlString(tenant)} AND ${where}`);
  await stack.bed.publisher.publish([
    {
      tenant,
      type: 'identify',
      messageId: 'seed',
      userId: 'u-sue',
      anonymousId: 'sue-anon',
      traits: { email: 'sue@example.com' },
    },
  ] as never);
  await waitFor('Sue in ClickHouse', async () =>
    (await events("message_id = 'seed'")) === 1 ? true : undefined,
  );

  const suppress = privacyRequest(tenant, 'suppress', 'user_id:u-sue');
  await sendRequest(stack, suppress);
  const receipt = await receiptFor(stack, suppress.requestId);
  expect(receipt).toMatchObject({ status: 'completed' });
  expect(receipt.identifiers).toEqual(['anonymous_id:sue-anon', 'email:sue@example.com', 'user_id:u-sue']);
  expect(await events('1')).toBe(0);

  // Over HTTP: answered 200 (as SDKs expect), nothing reaches Kafka; a bystander's event does.
  const before = await recordCount(kafka, stack.bed.topics.input);
  expect(
    await post([
      ...sueEvents('http'),
      { type: 'track', event: 'Viewed', messageId: 'http-other', userId: 'u-other' },
    ]),
  ).toBe(200);
  const raw = await readRawEvents(kafka, stack.bed.topics.input, before + 1);
  expect(raw.map((r) => r.event.messageId).filter((id) => id.startsWith('http-'))).toEqual(['http-other']);

  // Straight to Kafka: the resolver drops them, one 'suppressed' warning each (no identifier in it).
  await stack.bed.publisher.publish(sueEvents('kafka').map((e) => ({ tenant, ...e })) as never);
  await waitFor('three suppressed warnings', async () =>
    (await count(`SELECT count() AS n FROM ${db}.ingestion_warnings WHERE code = 'suppressed'`)) === 3
      ? true
      : undefined,
  );
  expect(
    await count(
      `SELECT count() AS n FROM ${db}.ingestion_warnings WHERE code = 'suppressed' AND (identifier != '' OR profile_id != '')`,
    ),
  ).toBe(0);
  await waitFor('the bystander lands', async () =>
    (await events("message_id = 'http-other'")) === 1 ? true : undefined,
  );
  expect(await events("message_id != 'http-other'")).toBe(0);
  const graph = new IdentityGraph(stack.redis);
  for (const id of [
    'user_id:u-sue',
    'anonymous_id:sue-anon',
    'email:sue@example.com',
    'anonymous_id:new-device',
  ])
    expect(await graph.getProfileByIdentifier(tenant, id)).toBeNull();

  // Unsuppress by another of her identifiers lifts the whole subject; new events land (HTTP and Kafka).
  const lift = privacyRequest(tenant, 'unsuppress', 'email:sue@example.com');
  await sendRequest(stack, lift);
  expect(await receiptFor(stack, lift.requestId)).toMatchObject({
    status: 'completed',
    stores: [{ removed: 3 }],
  });
  expect(await post(sueEvents('again-http'))).toBe(200);
  await stack.bed.publisher.publish(sueEvents('again-kafka').map((e) => ({ tenant, ...e })) as never);
  await waitFor('Sue lands again', async () =>
    (await events("message_id LIKE 'again-%'")) === 6 ? true : undefined,
  );
  expect(await graph.getProfileByIdentifier(tenant, 'user_id:u-sue')).not.toBeNull();
});
