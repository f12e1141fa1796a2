// The HTTP edge without Kafka: status codes, bodies, auth, gzip and size limits, over a loopback
// socket so real HTTP framing (Content-Length, encodings) is exercised. `publish` is an in-memory
// stand-in; the real Kafka path is covered in test/integration.
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { QueueFullError } from '../../../services/collector/coalesced-sender';
import { buildCollectorApp } from '../../../services/collector/collector-app';
import { MAX_BODY_DEPTH } from '../../../services/collector/read-body';
import type { CdpEvent } from '../../../services/common/events/event-model';
import { tenantDirectory } from '../../../services/common/tenants';

const tenants = tenantDirectory({ tenants: [{ id: 'demo', writeKeys: ['demo-write-key'] }] });
const auth = { authorization: `Basic ${Buffer.from('demo-write-key:').toString('base64')}` };
const receivedAt = Date.parse('2024-05-01T12:00:10.000Z');

interface Request {
  method: 'POST' | 'OPTIONS';
  url: string;
  headers?: Record<string, string>;
  payload?: unknown;
}
interface Response {
  statusCode: number;
  headers: Record<string, string>;
  json(): unknown;
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

/** Sends one HTTP request to the app on a loopback port, JSON-encoding plain payloads. */
async function send(app: FastifyInstance, req: Request): Promise<Response> {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('app not listening');
  const headers: Record<string, string> = { ...req.headers };
  let body: string | Buffer | undefined;
  if (typeof req.payload === 'string' || Buffer.isBuffer(req.payload)) body = req.payload;
  else if (req.payload !== undefined) {
    body = JSON.stringify(req.payload);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`http://127.0.0.1:${address.port}${req.url}`, {
    method: req.method,
    headers,
    body,
  });
  const text = await res.text();
  return {
    statusCode: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    json: () => JSON.parse(text),
  };
}

async function collector(
  publish: (events: CdpEvent[]) => Promise<unknown> = async () => undefined,
  limits = { maxEventBytes: 2048, maxBatchBytes: 8192 },
) {
  const written: CdpEvent[] = [];
  const app = await buildCollectorApp({
    tenants,
    publish: async (events) => {
      await publish(events);
      written.push(...events);
    },
    limits,
    retryAfterSeconds: 7,
    logger: pino({ level: 'silent' }),
    now: () => receivedAt,
  });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app: { inject: (req: Request) => send(app, req) }, written };
}

describe('collector HTTP API', () => {
  it('answers 200 {"success":true} once the events are written', async () => {
    const { app, written } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: auth,
      payload: { userId: 'u1', event: 'Signed Up', messageId: 'm1' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true });
    expect(written).toMatchObject([{ type: 'track', tenant: 'demo', userId: 'u1', messageId: 'm1' }]);
  });

  it.each(['identify', 'page', 'screen', 'group', 'alias'])('serves /v1/%s', async (type) => {
    const { app, written } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: `/v1/${type}`,
      headers: auth,
      payload: { userId: 'u1', anonymousId: 'a1', previousId: 'a0', groupId: 'g1' },
    });
    expect(res.statusCode).toBe(200);
    expect(written[0]?.type).toBe(type);
  });

  it('accepts the write key in the body', async () => {
    const { app } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/identify',
      payload: { writeKey: 'demo-write-key', userId: 'u1' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('answers 401 for a missing or unknown write key', async () => {
    const { app, written } = await collector();
    const missing = await app.inject({ method: 'POST', url: '/v1/identify', payload: { userId: 'u1' } });
    expect(missing.statusCode).toBe(401);
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: { authorization: `Basic ${Buffer.from('nope:').toString('base64')}` },
      payload: { userId: 'u1' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ success: false, error: 'invalid write key' });
    expect(written).toEqual([]);
  });

  it('answers 400 naming the field of an invalid single event', async () => {
    const { app } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/group',
      headers: auth,
      payload: { userId: 'u1' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      success: false,
      error: '1 of 1 events rejected',
      accepted: 0,
      rejected: [
        {
          index: 0,
          issues: [{ reason: 'missing_group_id', field: 'groupId', message: 'group requires groupId' }],
        },
      ],
    });
  });

  it('writes the valid events of a batch and answers 400 listing the rejected indices', async () => {
    const { app, written } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: auth,
      payload: {
        batch: [
          { type: 'identify', userId: 'u1', messageId: 'ok-1' },
          { type: 'track', userId: 'u1', messageId: 'bad-1' },
          { type: 'page', anonymousId: 'a1', messageId: 'ok-2' },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ accepted: 2, rejected: [{ index: 1, messageId: 'bad-1' }] });
    expect(written.map((e) => e.messageId)).toEqual(['ok-1', 'ok-2']);
  });

  it('treats /v1/import as a batch and accepts gzip bodies', async () => {
    const { app, written } = await collector();
    const body = JSON.stringify({
      sentAt: '2024-05-01T12:00:09.000Z',
      batch: [{ type: 'track', userId: 'u1', event: 'E', timestamp: '2024-05-01T12:00:00.000Z' }],
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/import',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(body),
    });
    expect(res.statusCode).toBe(200);
    expect(written[0]?.timestamp).toBe('2024-05-01T12:00:01.000Z');
  });

  it('parses text/plain bodies as JSON (browser beacons)', async () => {
    const { app } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: JSON.stringify({ anonymousId: 'a1', event: 'E' }),
    });
    expect(res.statusCode).toBe(200);
  });

  it('answers 413 over the per-event limit on single routes and the batch limit on /v1/batch', async () => {
    const { app, written } = await collector();
    const single = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: auth,
      payload: { userId: 'u1', event: 'E', properties: { x: 'y'.repeat(3000) } },
    });
    expect(single.statusCode).toBe(413);
    expect(single.json()).toEqual({ success: false, error: 'request body exceeds 2048 bytes' });
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: auth,
      payload: {
        batch: Array.from({ length: 10 }, () => ({ type: 'track', userId: 'u1', event: 'y'.repeat(1000) })),
      },
    });
    expect(batch.statusCode).toBe(413);
    expect(written).toEqual([]);
  });

  it('applies the limit to the decompressed size (no zip bombs)', async () => {
    const { app } = await collector();
    const big = JSON.stringify({
      batch: [{ type: 'track', userId: 'u1', event: 'E', properties: { x: '0'.repeat(100_000) } }],
    });
    const compressed = gzipSync(big);
    expect(compressed.length).toBeLessThan(8192);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: compressed,
    });
    expect(res.statusCode).toBe(413);
  });

  it('rejects an oversized event inside a batch by index', async () => {
    const { app } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: auth,
      payload: { batch: [{ type: 'track', userId: 'u1', event: 'E', properties: { x: 'y'.repeat(3000) } }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ rejected: [{ index: 0, issues: [{ reason: 'event_too_large' }] }] });
  });

  it('answers 400 for malformed JSON, broken gzip and a non-batch body', async () => {
    const { app } = await collector();
    const headers = { ...auth, 'content-type': 'application/json' };
    const json = await app.inject({ method: 'POST', url: '/v1/track', headers, payload: '{"userId":' });
    expect(json.statusCode).toBe(400);
    const gzip = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { ...headers, 'content-encoding': 'gzip' },
      payload: Buffer.from('not gzip'),
    });
    expect(gzip.statusCode).toBe(400);
    const notBatch = await app.inject({ method: 'POST', url: '/v1/batch', headers, payload: { batch: 'x' } });
    expect(notBatch.statusCode).toBe(400);
    expect(notBatch.json()).toMatchObject({ issues: [{ field: 'batch' }] });
  });

  it('answers 415 for an unknown Content-Encoding', async () => {
    const { app } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'br' },
      payload: Buffer.from('{}'),
    });
    expect(res.statusCode).toBe(415);
  });

  it('answers 503 with Retry-After when the events could not be written', async () => {
    const { app, written } = await collector(async () => {
      throw new Error('kafka produce timed out');
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: auth,
      payload: { userId: 'u1' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toMatchObject({ success: false });
    expect(written).toEqual([]);
  });

  it('answers CORS preflights for browser SDKs', async () => {
    const { app } = await collector();
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/v1/batch',
      headers: { origin: 'https://shop.example' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(res.headers['access-control-allow-headers']).toContain('authorization');
  });

  it.each([
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    'text/plain;charset=UTF-8',
    undefined,
  ])('reads a gzip JSON body labelled %s as JSON (what RudderStack SDKs send)', async (type) => {
    const { app, written } = await collector();
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'u1', event: 'E' }] }));
    const headers: Record<string, string> = { ...auth, 'content-encoding': 'gzip' };
    if (type !== undefined) headers['content-type'] = type;
    const res = await app.inject({ method: 'POST', url: '/v1/batch', headers, payload: body });
    expect(res.statusCode).toBe(200);
    expect(written).toMatchObject([{ type: 'track', userId: 'u1', event: 'E' }]);
  });

  it('answers 400 for a form body that is not JSON, whatever its label', async () => {
    const { app } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'userId=u1&event=E',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      success: false,
      error: expect.stringMatching(/^unreadable request body/),
    });
  });

  it('makes lone surrogates in values, keys and ids U+FFFD before writing', async () => {
    const { app, written } = await collector();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"userId":"u\\ud800","event":"E","properties":{"k":"\\ud800","\\udc00x":["a\\udfff"]}}',
    });
    expect(res.statusCode).toBe(200);
    expect(written[0]).toMatchObject({
      userId: 'u\ufffd',
      properties: { k: '\ufffd', '\ufffdx': ['a\ufffd'] },
    });
  });

  describe('JSON nesting', () => {
    const big = { maxEventBytes: 32 * 1024, maxBatchBytes: 500 * 1024 };
    const deepTraits = (levels: number) =>
      `{"userId":"u1","traits":{"t":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}}`;

    it('accepts traits 64 levels deep', async () => {
      const { app, written } = await collector(undefined, big);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/identify',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: deepTraits(64),
      });
      expect(res.statusCode).toBe(200);
      expect(written).toHaveLength(1);
    });

    it('rejects traits 65 levels deep with 400 naming the path', async () => {
      const { app, written } = await collector(undefined, big);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/identify',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: deepTraits(65),
      });
      expect(res.statusCode).toBe(400);
      const issue = (res.json() as { rejected: { issues: { reason: string; field: string }[] }[] })
        .rejected[0]?.issues[0];
      expect(issue?.reason).toBe('json_too_deep');
      expect(issue?.field).toBe(['traits', 't', ...Array<number>(63).fill(0)].join('.'));
      expect(written).toEqual([]);
    });

    it.each([4_000, 15_000])('answers 400 (never 500) for traits %d levels deep', async (levels) => {
      const { app, written } = await collector(undefined, big);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/identify',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: deepTraits(levels),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        success: false,
        error: 'invalid request body',
        issues: [{ reason: 'json_too_deep', field: expect.stringMatching(/^traits\.t\.0\.0\./) }],
      });
      const field = (res.json() as { issues: { field: string }[] }).issues[0]?.field ?? '';
      expect(field.split('.')).toHaveLength(MAX_BODY_DEPTH);
      expect(written).toEqual([]);
    });

    it('answers 400 for a deep value in a field the event model ignores', async () => {
      const { app } = await collector(undefined, big);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: `{"batch":[{"type":"identify","userId":"u1","x":${'['.repeat(5000)}${']'.repeat(5000)}}]}`,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ issues: [{ reason: 'json_too_deep' }] });
    });
  });

  it('answers 503 with Retry-After and the reason when the send queue is full', async () => {
    const { app, written } = await collector(async () => {
      throw new QueueFullError(100, 100);
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/identify',
      headers: auth,
      payload: { userId: 'u1' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toEqual({ success: false, error: 'collector queue full; retry later' });
    expect(written).toEqual([]);
  });
});
