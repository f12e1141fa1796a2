// The real @rudderstack/rudder-sdk-node through the collector onto a real Kafka topic. The SDK
// posts gzip JSON labelled application/x-www-form-urlencoded (axios's default for a Buffer); the
// collector reads it as JSON, as RudderStack's own server does.
import Analytics from '@rudderstack/rudder-sdk-node';
import { createLogger } from '../../../services/common/logger';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import { config, createTopics, deleteTopics, testKafka, uniqueName } from '../../support/real-stack';
import { readRawEvents } from '../../support/raw-events';

jest.setTimeout(120_000);

const kafka = testKafka();
const topic = uniqueName('cdp.events.raw.v1.it-rudder');
const run = uniqueName('rs');
let collector: RunningCollector;

interface SdkResponse {
  status: number;
  /** The Node ClientRequest that went out, with its final headers. */
  request: { getHeader(name: string): unknown };
}

/** The SDK's axios instance: only to record the headers it really sends. */
interface AxiosView {
  axiosInstance: {
    interceptors: {
      response: { use(ok: (res: SdkResponse) => unknown, err: (e: unknown) => unknown): void };
    };
  };
}

beforeAll(async () => {
  await createTopics(kafka, [topic], 3);
  collector = await startCollector(
    { ...config, CDP_COLLECTOR_PORT: 0 },
    createLogger('collector-test', 'silent'),
    { topic },
  );
});

afterAll(async () => {
  await collector?.stop();
  await deleteTopics(kafka, [topic]);
});

describe('collector with the RudderStack Node SDK', () => {
  it('accepts its gzip batches and writes identify, track, page, group and alias to Kafka', async () => {
    const client = new Analytics('demo-write-key', {
      dataPlaneUrl: `http://127.0.0.1:${collector.port}`,
      flushAt: 5,
      flushInterval: 200,
      retryCount: 0,
      logLevel: 'error',
    });
    const sentHeaders: { type: unknown; encoding: unknown }[] = [];
    const statuses: number[] = [];
    const axios = (client as unknown as AxiosView).axiosInstance;
    axios.interceptors.response.use(
      (res) => {
        statuses.push(res.status);
        sentHeaders.push({
          type: res.request.getHeader('content-type'),
          encoding: res.request.getHeader('content-encoding'),
        });
        return res;
      },
      (err: unknown) => {
        statuses.push((err as { response?: { status: number } }).response?.status ?? -1);
        return Promise.reject(err);
      },
    );

    const userId = `u-${run}`;
    const anonymousId = `a-${run}`;
    const errors: unknown[] = [];
    const sent = (err?: unknown) => {
      if (err) errors.push(err);
    };
    client.identify({ userId, anonymousId, traits: { email: 'ada@example.com', plan: 'pro' } }, sent);
    client.track({ userId, event: 'Order Completed', properties: { total: 42.5, currency: 'EUR' } }, sent);
    client.page({ anonymousId, name: 'Home', properties: { url: 'https://shop.example/' } }, sent);
    client.group({ userId, groupId: `g-${run}`, traits: { name: 'Acme' } }, sent);
    client.alias({ userId, previousId: anonymousId }, sent);
    await client.flush();

    expect(errors).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // What made the collector answer 415 before: not application/json.
    expect(String(sentHeaders[0]?.type)).toContain('application/x-www-form-urlencoded');
    expect(sentHeaders[0]?.encoding).toBe('gzip');

    const records = await readRawEvents(kafka, topic, 5);
    expect(records).toHaveLength(5);
    const byType = new Map(records.map((r) => [r.event.type, r]));
    expect([...byType.keys()].sort()).toEqual(['alias', 'group', 'identify', 'page', 'track']);
    for (const { key, event } of records) {
      expect(event.tenant).toBe('demo');
      expect(key).toBe(event.type === 'page' ? `demo:anonymous_id:${anonymousId}` : `demo:user_id:${userId}`);
      // RudderStack sends the client time as originalTimestamp and a sentAt: both kept.
      expect(event.originalTimestamp).toBeDefined();
      expect(event.sentAt).toBeDefined();
    }
    expect(byType.get('identify')?.event.traits).toEqual({ email: 'ada@example.com', plan: 'pro' });
    expect(byType.get('track')?.event).toMatchObject({
      event: 'Order Completed',
      properties: { total: 42.5, currency: 'EUR' },
    });
    expect(byType.get('page')?.event.name).toBe('Home');
    expect(byType.get('group')?.event.groupId).toBe(`g-${run}`);
    expect(byType.get('alias')?.event.previousId).toBe(anonymousId);
    expect(byType.get('track')?.event.context).toMatchObject({ library: { name: 'analytics-node' } });
  });
});
