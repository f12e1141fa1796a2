// Kafka down: the collector answers 503 with Retry-After and never 200; Kafka back: the SDK's own
// retries deliver everything, and after dedupe by messageId exactly the sent events remain.
import { Analytics } from '@segment/analytics-node';
import { createKafka } from '../../../services/common/kafka/kafka-client';
import { createLogger } from '../../../services/common/logger';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import { createPrivateKafka, type PrivateKafka } from '../../support/private-kafka';
import { config, createTopics, uniqueName, waitFor } from '../../support/real-stack';
import { readRawEvents, recordCount } from '../../support/raw-events';

jest.setTimeout(240_000);

let broker: PrivateKafka;
let collector: RunningCollector | undefined;
const topic = uniqueName('cdp.events.raw.v1.outage');

beforeAll(async () => {
  broker = await createPrivateKafka();
  await broker.start();
});

afterAll(async () => {
  await collector?.stop().catch(() => undefined);
  await broker?.destroy();
});

const auth = {
  authorization: `Basic ${Buffer.from('demo-write-key:').toString('base64')}`,
  'content-type': 'application/json',
};

it('answers 503 while Kafka is down and loses nothing once it is back', async () => {
  const brokerConfig = { ...config, CDP_KAFKA_BROKERS: broker.brokers };
  const kafka = createKafka(brokerConfig, uniqueName('outage-test'));
  await createTopics(kafka, [topic], 3);
  collector = await startCollector(
    {
      ...brokerConfig,
      CDP_COLLECTOR_PORT: 0,
      CDP_COLLECTOR_PRODUCE_TIMEOUT_MS: 2000,
      CDP_COLLECTOR_RETRY_AFTER_SECONDS: 1,
    },
    createLogger('collector-test', 'silent'),
    { topic },
  );
  const host = `http://127.0.0.1:${collector.port}`;
  const post = (body: unknown) =>
    fetch(`${host}/v1/track`, { method: 'POST', headers: auth, body: JSON.stringify(body) });

  // Up: accepted, and /healthz says so.
  expect((await post({ userId: 'u-before', event: 'Before', messageId: 'before-1' })).status).toBe(200);
  expect(await collector.health!()).toMatchObject({ ok: true, detail: { kafka: 'reachable' } });

  await broker.stop();
  // Not ready while Kafka is down, even with no request failing meanwhile.
  const unhealthy = await waitFor('the collector to report Kafka down', async () => {
    const report = await collector!.health!();
    return report.ok ? undefined : report;
  });
  expect(String(unhealthy.detail?.kafka)).toMatch(/unreachable|no answer|without a leader/);
  const down = await post({ userId: 'u-down', event: 'During', messageId: 'down-raw-1' });
  expect(down.status).toBe(503);
  expect(down.headers.get('retry-after')).toBe('1');
  expect(await down.json()).toEqual({ success: false, error: 'event storage unavailable; retry later' });

  // The SDK sends while Kafka is down, sees 503s, and keeps retrying with its own backoff.
  const analytics = new Analytics({
    writeKey: 'demo-write-key',
    host,
    flushAt: 10,
    flushInterval: 100,
    maxRetries: 12,
  });
  const statuses: number[] = [];
  const failed: unknown[] = [];
  analytics.on('http_response', (res) => statuses.push(res.status));
  analytics.on('error', (err) => failed.push(err));
  const sentIds: string[] = [];
  analytics.on('http_request', (req) => {
    for (const m of (JSON.parse(req.body) as { batch: { messageId: string }[] }).batch)
      sentIds.push(m.messageId);
  });
  for (let i = 0; i < 20; i++)
    analytics.track({ userId: `u-${i % 4}`, event: 'During Outage', properties: { i } });
  await waitFor('the SDK to see a 503', async () => (statuses.includes(503) ? true : undefined));

  await broker.start();
  await analytics.closeAndFlush({ timeout: 180_000 });
  await waitFor('the collector to report Kafka back', async () =>
    (await collector!.health!()).ok ? true : undefined,
  );

  expect(failed).toEqual([]);
  expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
  expect(statuses[statuses.length - 1]).toBe(200);
  const sdkIds = [...new Set(sentIds)];
  expect(sdkIds).toHaveLength(20);

  // A timed-out send may still have landed, so Kafka can hold a copy more than once; every copy
  // is the same event (only the retry's sentAt and the server stamps differ), so the messageId
  // dedupe downstream sees each event exactly once.
  const total = await recordCount(kafka, topic);
  expect(total).toBeGreaterThanOrEqual(21);
  const records = await readRawEvents(kafka, topic, total);
  expect(records).toHaveLength(total);
  const byId = new Map<string, string[]>();
  for (const r of records) {
    const copies = byId.get(r.event.messageId) ?? [];
    copies.push(
      JSON.stringify({ ...r.event, receivedAt: undefined, sentAt: undefined, timestamp: undefined }),
    );
    byId.set(r.event.messageId, copies);
  }
  expect([...byId.keys()].sort()).toEqual(['before-1', ...sdkIds].sort());
  for (const copies of byId.values()) expect(new Set(copies).size).toBe(1);
  expect(byId.has('down-raw-1')).toBe(false);
});
