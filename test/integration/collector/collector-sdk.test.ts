// The real @segment/analytics-node SDK and a raw gzip batch, through the collector, onto a real
// Kafka topic: decoded events carry the right key, tenant and skew-corrected timestamps.
import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { createLogger } from '../../../services/common/logger';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import { config, createTopics, deleteTopics, testKafka, uniqueName } from '../../support/real-stack';
import { readRawEvents } from '../../support/raw-events';

jest.setTimeout(120_000);

const kafka = testKafka();
const topic = uniqueName('cdp.events.raw.v1.it');
const run = uniqueName('run');
let collector: RunningCollector;
let host: string;

beforeAll(async () => {
  await createTopics(kafka, [topic], 3);
  collector = await startCollector(
    { ...config, CDP_COLLECTOR_PORT: 0 },
    createLogger('collector-test', 'silent'),
    {
      topic,
    },
  );
  host = `http://127.0.0.1:${collector.port}`;
});

afterAll(async () => {
  await collector?.stop();
  await deleteTopics(kafka, [topic]);
});

interface SentBatch {
  sentAt: string;
  batch: { messageId: string; type: string; timestamp: string }[];
}

describe('collector with the Segment Node SDK', () => {
  it('delivers identify, track, page, group and alias, decoded, keyed and skew-corrected', async () => {
    const before = Date.now();
    const analytics = new Analytics({
      writeKey: 'demo-write-key',
      host,
      flushAt: 5,
      flushInterval: 200,
      maxRetries: 2,
    });
    const sent: SentBatch[] = [];
    const statuses: number[] = [];
    analytics.on('http_request', (req) => sent.push(JSON.parse(req.body) as SentBatch));
    analytics.on('http_response', (res) => statuses.push(res.status));

    const userId = `u-${run}`;
    const anonymousId = `a-${run}`;
    analytics.identify({ userId, anonymousId, traits: { email: 'ada@example.com', plan: 'pro' } });
    analytics.track({ userId, event: 'Order Completed', properties: { total: 42.5, currency: 'EUR' } });
    analytics.page({ anonymousId, name: 'Home', properties: { url: 'https://shop.example/' } });
    analytics.group({ userId, groupId: `g-${run}`, traits: { name: 'Acme' } });
    analytics.alias({ userId, previousId: anonymousId });
    await analytics.closeAndFlush({ timeout: 30_000 });
    const after = Date.now();

    expect(statuses.every((s) => s === 200)).toBe(true);
    const sdkMessages = sent.flatMap((b) => b.batch.map((m) => ({ ...m, sentAt: b.sentAt })));
    expect(sdkMessages).toHaveLength(5);

    const records = await readRawEvents(kafka, topic, 5);
    expect(records).toHaveLength(5);
    const byType = new Map(records.map((r) => [r.event.type, r]));
    expect([...byType.keys()].sort()).toEqual(['alias', 'group', 'identify', 'page', 'track']);

    for (const { key, event } of records) {
      expect(event.tenant).toBe('demo');
      expect(key).toBe(event.type === 'page' ? `demo:anonymous_id:${anonymousId}` : `demo:user_id:${userId}`);
      const sdk = sdkMessages.find((m) => m.messageId === event.messageId);
      expect(sdk).toBeDefined();
      const receivedAt = Date.parse(event.receivedAt);
      expect(receivedAt).toBeGreaterThanOrEqual(before);
      expect(receivedAt).toBeLessThanOrEqual(after);
      expect(event.originalTimestamp).toBe(new Date(sdk!.timestamp).toISOString());
      expect(event.sentAt).toBe(new Date(sdk!.sentAt).toISOString());
      const expected = receivedAt - (Date.parse(sdk!.sentAt) - Date.parse(sdk!.timestamp));
      expect(Date.parse(event.timestamp)).toBe(expected);
    }
    expect(byType.get('identify')?.event.traits).toEqual({ email: 'ada@example.com', plan: 'pro' });
    expect(byType.get('track')?.event).toMatchObject({
      event: 'Order Completed',
      properties: { total: 42.5, currency: 'EUR' },
    });
    expect(byType.get('page')?.event.name).toBe('Home');
    expect(byType.get('group')?.event.groupId).toBe(`g-${run}`);
    expect(byType.get('alias')?.event.previousId).toBe(anonymousId);
    expect(byType.get('track')?.event.context).toMatchObject({
      library: { name: '@segment/analytics-node' },
    });
  });
});

describe('collector with a raw gzip batch', () => {
  it('corrects a client clock one hour fast and writes only the valid events', async () => {
    const hour = 3_600_000;
    const clientNow = Date.now() + hour;
    const batchTopicUser = `u2-${run}`;
    const body = {
      sentAt: new Date(clientNow).toISOString(),
      context: { library: { name: 'curl' } },
      batch: [
        {
          type: 'track',
          userId: batchTopicUser,
          event: 'A',
          messageId: `${run}-a`,
          timestamp: new Date(clientNow - 5000).toISOString(),
        },
        { type: 'track', userId: batchTopicUser, messageId: `${run}-bad` },
        {
          type: 'identify',
          anonymousId: `anon-${run}`,
          messageId: `${run}-b`,
          timestamp: new Date(clientNow - 60_000).toISOString(),
        },
      ],
    };
    const before = Date.now();
    const res = await fetch(`${host}/v1/batch`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('demo-write-key:').toString('base64')}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: gzipSync(JSON.stringify(body)),
    });
    const after = Date.now();
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      accepted: 2,
      rejected: [{ index: 1, messageId: `${run}-bad` }],
    });

    // Everything the SDK test wrote plus these two; a short wait proves nothing else arrives.
    const records = (await readRawEvents(kafka, topic, 8, 5000)).filter((r) =>
      r.event.messageId.startsWith(run),
    );
    expect(records.map((r) => r.event.messageId).sort()).toEqual([`${run}-a`, `${run}-b`]);
    const a = records.find((r) => r.event.messageId === `${run}-a`)!;
    const b = records.find((r) => r.event.messageId === `${run}-b`)!;
    expect(a.key).toBe(`demo:user_id:${batchTopicUser}`);
    expect(b.key).toBe(`demo:anonymous_id:anon-${run}`);
    // Corrected: 5 s and 60 s before the server received them, not an hour in the future.
    expect(Date.parse(a.event.timestamp)).toBe(Date.parse(a.event.receivedAt) - 5000);
    expect(Date.parse(b.event.timestamp)).toBe(Date.parse(b.event.receivedAt) - 60_000);
    expect(Date.parse(a.event.receivedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(a.event.receivedAt)).toBeLessThanOrEqual(after);
    expect(a.event.context).toEqual({ library: { name: 'curl' } });
  });
});
