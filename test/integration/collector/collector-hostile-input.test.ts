// Hostile inputs from the Step 6 probe table, each sent to a real collector writing to a real
// Kafka topic: a lone surrogate is written well-formed, deep JSON and a gzip bomb get a 4xx, and a
// later good event from the same client is accepted and reaches the raw topic.
import { gzipSync } from 'node:zlib';
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { rawEvents } from '../../../services/common/streams/raw-events';
import { createLogger } from '../../../services/common/logger';
import { startCollector, type RunningCollector } from '../../../services/collector/main';
import {
  config,
  createTopics,
  deleteTopics,
  readTopic,
  testKafka,
  uniqueName,
} from '../../support/real-stack';
import { readRawEvents } from '../../support/raw-events';

jest.setTimeout(120_000);

const kafka = testKafka();
const topic = uniqueName('cdp.events.raw.v1.it-hostile');
const run = uniqueName('hostile');
const userId = `u-${run}`;
let collector: RunningCollector;

beforeAll(async () => {
  await createTopics(kafka, [topic], 3);
  // The production limits: 32 KB per event, 500 KB per request.
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

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${collector.port}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('demo-write-key:').toString('base64')}`,
      'content-type': 'application/json',
      ...headers,
    },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The identify the probe sent: traits nested `levels` arrays deep. */
function deepIdentify(levels: number, messageId: string): string {
  return `{"userId":"${userId}","messageId":"${messageId}","traits":{"t":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
}

describe('collector under hostile input', () => {
  it('writes a lone surrogate as U+FFFD', async () => {
    const res = await post(
      '/v1/track',
      `{"userId":"${userId}","messageId":"${run}-surrogate","event":"Probe","properties":{"k":"\\ud800"}}`,
    );
    expect(res.status).toBe(200);
  });

  it.each([4_000, 15_000])('answers 400 json_too_deep for traits %d levels deep', async (levels) => {
    const res = await post('/v1/identify', deepIdentify(levels, `${run}-deep-${levels}`));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      success: false,
      error: 'invalid request body',
      issues: [{ reason: 'json_too_deep', field: expect.stringMatching(/^traits\.t\.0\.0/) }],
    });
  });

  it('answers 413 to a gzip of 200 MB of zeros', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024));
    const res = await post('/v1/batch', bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ success: false, error: 'request body exceeds 512000 bytes' });
  });

  it('then accepts a good event from the same client, and only the good ones reach Kafka', async () => {
    const res = await post(
      '/v1/identify',
      JSON.stringify({ userId, messageId: `${run}-good`, traits: { plan: 'pro' } }),
    );
    expect(res.status).toBe(200);

    // Two records are expected; waiting for a third shows no rejected input slipped through.
    const records = await readRawEvents(kafka, topic, 3, 5000);
    expect(records.map((r) => r.event.messageId).sort()).toEqual([`${run}-good`, `${run}-surrogate`]);
    const good = records.find((r) => r.event.messageId === `${run}-good`);
    expect(good?.key).toBe(`demo:user_id:${userId}`);
    expect(good?.event.traits).toEqual({ plan: 'pro' });

    // The stored bytes themselves hold U+FFFD, not the escape a consumer would choke on.
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const raw = await readTopic(kafka, topic, 2);
    const decoded = await Promise.all(raw.map(async (r) => codec.decodeRecord(rawEvents, r.value)));
    const surrogate = decoded.find((d) => d.messageId === `${run}-surrogate`);
    expect(surrogate?.properties).toBe('{"k":"\ufffd"}');
  });
});
