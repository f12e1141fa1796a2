// The privacy service is killed (SIGKILL, in a child process) in the middle of a delete: after the
// first stores were cleaned, before the receipt. A new process of the same group completes the
// request from its recorded progress and the receipt is emitted exactly once, with the first run's
// counts.
import { queryRows } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../services/common/clickhouse/escape-sql';
import { tenantDirectory } from '../../services/common/tenants';
import { requestKey } from '../../services/privacy/request-progress';
import { privacyService } from '../../services/privacy/main';
import type { PrivacyChildSettings } from '../support/privacy-child';
import { privateTopics } from '../support/processor-harness';
import {
  privacyRequest,
  receiptsOn,
  sendRequest,
  startPrivacyStack,
  type PrivacyStack,
} from '../support/privacy-stack';
import { deleteTopics, testKafka, uniqueName, waitFor } from '../support/real-stack';
import { startServiceChild, type ServiceChild } from '../support/service-child';

jest.setTimeout(300_000);

const kafka = testKafka();
let stack: PrivacyStack;
let topics: Awaited<ReturnType<typeof privateTopics<'requests', 'receipts', unknown>>>;
const children: ServiceChild[] = [];

function startChild(settings: PrivacyChildSettings): ServiceChild {
  const child = startServiceChild('privacy-child.ts', settings, { logLevel: 'fatal' });
  children.push(child);
  return child;
}

beforeAll(async () => {
  stack = await startPrivacyStack(kafka, 'kill', false);
  topics = await privateTopics(kafka, privacyService, 1);
});

afterAll(async () => {
  for (const c of children) await c.kill();
  if (topics) await deleteTopics(kafka, [topics.inputs.requests, topics.outputs.receipts, topics.dlq]);
  await stack?.close();
});

test('killed mid-delete, the request completes after a restart and its receipt is emitted once', async () => {
  const { tenant, database } = stack;
  const db = sqlIdentifier(database);
  const events = [];
  for (let i = 0; i < 40; i++)
    events.push({
      tenant,
      type: 'track',
      event: 'Viewed',
      messageId: `kim-${i}`,
      anonymousId: i % 2 ? 'kim-phone' : 'kim-laptop',
    });
  events.push({
    tenant,
    type: 'identify',
    messageId: 'kim-login-1',
    anonymousId: 'kim-phone',
    userId: 'u-kim',
  });
  events.push({
    tenant,
    type: 'identify',
    messageId: 'kim-login-2',
    anonymousId: 'kim-laptop',
    userId: 'u-kim',
  });
  await stack.bed.publisher.publish(events as never);
  const count = async (sql: string) =>
    Number((await queryRows<{ n: string }>(stack.clickhouse, sql))[0]?.n ?? 0);
  await waitFor('Kim in ClickHouse', async () =>
    (await count(`SELECT count() AS n FROM ${db}.events WHERE tenant = ${sqlString(tenant)}`)) === 42
      ? true
      : undefined,
  );

  const { tenants: directory, ...options } = stack.options;
  const settings: PrivacyChildSettings = {
    topics,
    groupId: uniqueName('test.privacy-kill.group'),
    tenants: { tenants: [...(directory ?? tenantDirectory({ tenants: [] })).tenants] },
    options,
    sessionTimeoutMs: 6000,
  };
  const first = startChild(settings);
  await first.ready;
  const request = privacyRequest(tenant, 'delete', 'user_id:u-kim');
  await sendRequest(stack, request, topics.inputs.requests);

  // Kill as soon as a step is recorded (the Redis stores go first, ClickHouse mutations after).
  const key = requestKey(tenant, request.requestId);
  const atKill = await waitFor(
    'the first recorded step',
    async () => {
      const progress = await stack.redis.hgetall(key);
      return Object.keys(progress).some((f) => f.startsWith('step:')) ? progress : undefined;
    },
    120_000,
  );
  await first.kill();
  expect(atKill.receipt).toBeUndefined();
  expect(JSON.parse(atKill['step:redis:identity-graph']!).removed).toBeGreaterThan(0);

  const second = startChild(settings);
  await second.ready;
  const receipts = await waitFor(
    'the receipt',
    async () => {
      const all = await receiptsOn(stack, topics.outputs.receipts, Number.MAX_SAFE_INTEGER, 1000);
      return all.length > 0 ? all : undefined;
    },
    180_000,
  );
  // Acknowledged: the request is marked done; then no second receipt may follow.
  await waitFor('the request marked done', async () =>
    (await stack.redis.exists(key)) === 0 ? true : undefined,
  );
  const all = await receiptsOn(stack, topics.outputs.receipts, Number.MAX_SAFE_INTEGER, 3000);
  expect(all.filter((r) => r.requestId === request.requestId)).toHaveLength(1);
  const receipt = receipts[0]!;
  expect(receipt.status).toBe('completed');
  const byStore = new Map(receipt.stores.map((s) => [s.store, s]));
  // The first run's count survives the kill; the second run found nothing left in Redis.
  expect(byStore.get('redis:identity-graph')!.removed).toBe(
    JSON.parse(atKill['step:redis:identity-graph']!).removed,
  );
  expect(byStore.get('clickhouse:events')).toMatchObject({ removed: 42, remaining: 0 });
  expect(await count(`SELECT count() AS n FROM ${db}.events`)).toBe(0);
  await second.stop();
});
