// Load generator for a running collector: how many requests/s and events/s it acknowledges.
// Bounded by request count and wall time, and refuses any target that is not on loopback.
//
//   node dist/bench/collector-bench.js [--url http://127.0.0.1:8088] [--requests 2000]
//        [--batch-size 20] [--concurrency 16] [--max-seconds 60] [--write-key demo-write-key]
//
// --batch-size 1 posts single events to /v1/track; larger sizes post to /v1/batch.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

interface Options {
  url: URL;
  requests: number;
  batchSize: number;
  concurrency: number;
  maxSeconds: number;
  writeKey: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8088' },
      requests: { type: 'string', default: '2000' },
      'batch-size': { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '16' },
      'max-seconds': { type: 'string', default: '60' },
      'write-key': { type: 'string', default: 'demo-write-key' },
    },
  });
  const url = new URL(values.url);
  if (!LOOPBACK.has(url.hostname)) throw new Error(`refusing to load ${url.hostname}: only loopback targets`);
  const int = (name: string, value: string, max: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new Error(`--${name} must be an integer in 1..${max}`);
    return n;
  };
  return {
    url,
    requests: int('requests', values.requests, 1_000_000),
    batchSize: int('batch-size', values['batch-size'], 500),
    concurrency: int('concurrency', values.concurrency, 256),
    maxSeconds: int('max-seconds', values['max-seconds'], 600),
    writeKey: values['write-key'],
  };
}

/** A realistic track call: a few properties and the context an SDK sends, about 600 bytes. */
function trackEvent(i: number): Record<string, unknown> {
  return {
    type: 'track',
    messageId: randomUUID(),
    userId: `bench-user-${i % 1000}`,
    event: 'Product Viewed',
    properties: {
      sku: `SKU-${i % 5000}`,
      price: 19.99,
      currency: 'EUR',
      category: 'shoes',
      position: i % 20,
    },
    context: {
      library: { name: 'collector-bench', version: '1' },
      ip: '203.0.113.7',
      userAgent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      page: { path: '/products/shoes', url: 'https://shop.example/products/shoes' },
    },
    timestamp: new Date().toISOString(),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main(): Promise<void> {
  const o = readOptions();
  const single = o.batchSize === 1;
  const endpoint = new URL(single ? '/v1/track' : '/v1/batch', o.url);
  const headers = {
    authorization: `Basic ${Buffer.from(`${o.writeKey}:`).toString('base64')}`,
    'content-type': 'application/json',
  };
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let issued = 0;
  let eventsAcked = 0;
  let counter = 0;
  const started = performance.now();
  const deadline = started + o.maxSeconds * 1000;

  async function worker(): Promise<void> {
    while (issued < o.requests && performance.now() < deadline) {
      issued++;
      const events = Array.from({ length: o.batchSize }, () => trackEvent(counter++));
      const body = JSON.stringify(single ? events[0] : { batch: events, sentAt: new Date().toISOString() });
      const t0 = performance.now();
      let status = 0;
      try {
        const res = await fetch(endpoint, { method: 'POST', headers, body });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 0;
      }
      latencies.push(performance.now() - t0);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200) eventsAcked += o.batchSize;
    }
  }

  await Promise.all(Array.from({ length: o.concurrency }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const ok = statuses.get(200) ?? 0;
  const result = {
    at: new Date().toISOString(),
    url: endpoint.toString(),
    batchSize: o.batchSize,
    concurrency: o.concurrency,
    requests: issued,
    seconds: Number(seconds.toFixed(2)),
    requestsPerSecond: Math.round(ok / seconds),
    eventsPerSecond: Math.round(eventsAcked / seconds),
    latencyMs: {
      p50: Number(percentile(latencies, 50).toFixed(1)),
      p99: Number(percentile(latencies, 99).toFixed(1)),
      max: Number(percentile(latencies, 100).toFixed(1)),
    },
    statuses: Object.fromEntries(statuses),
  };
  process.stdout.write(
    `collector bench: ${result.requestsPerSecond} requests/s, ${result.eventsPerSecond} events/s ` +
      `(${ok}/${issued} requests 200, batch ${o.batchSize}, concurrency ${o.concurrency}, ${result.seconds} s, ` +
      `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms)\n`,
  );
  const dir = path.resolve(
    __dirname,
    '..',
    ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []),
    'bench',
    'results',
  );
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, 'collector-bench.ndjson'), `${JSON.stringify(result)}\n`);
  if (ok !== issued) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`collector-bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
