// An open-model HTTP load generator, run as its own process (open-loop-load.ts starts it) so its
// CPU and event loop are not the measured server's. Request i is due at start + i / rate whatever
// happened to earlier ones (a slow answer does not slow the offer), and its latency counts from
// when it was due, not from when it was written: time spent waiting for a free connection or behind
// a stalled server is in the figure (no coordinated omission). A warm-up at the same rate comes
// first and is not recorded.
//
// stdin: JSON OpenLoopSpec (the paths are too many for argv). stdout: one JSON line `{"phase":"measure"}` when the recorded window
// starts, then one JSON line with the OpenLoopResult.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface OpenLoopSpec {
  port: number;
  headers: Record<string, string>;
  /** Paths requested in turn. */
  paths: string[];
  /** Requests per second offered. */
  rate: number;
  warmupSeconds: number;
  seconds: number;
  /** Connections at most; requests due while all are busy wait (and that wait counts). */
  maxConnections: number;
  /** A request still unanswered after this long counts as an error. */
  timeoutMs: number;
}

export interface OpenLoopResult {
  offered: number;
  completed: number;
  /** Completed recorded requests per second, from the first recorded request due to the last answer. */
  served_per_s: number;
  non_2xx: number;
  errors: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  p999_ms: number;
  max_ms: number;
  /** The most requests in flight at once (high when the server falls behind). */
  max_in_flight: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[i] ?? NaN) * 100) / 100;
}

async function run(spec: OpenLoopSpec): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.maxConnections });
  const intervalMs = 1000 / spec.rate;
  const warmup = Math.round(spec.warmupSeconds * spec.rate);
  const total = warmup + Math.round(spec.seconds * spec.rate);
  const latencies = new Float64Array(total - warmup);
  let completed = 0;
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let sent = 0;
  let settled = 0;
  let lastAnswer = 0;
  const start = performance.now();

  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const settle = (i: number, due: number, status: number | null) => {
    inFlight--;
    settled++;
    if (i >= warmup) {
      lastAnswer = performance.now();
      if (status === null) errors++;
      else {
        latencies[completed++] = performance.now() - due;
        if (status < 200 || status >= 300) non2xx++;
      }
    }
    if (settled === total) finish();
  };

  const send = (i: number) => {
    const due = start + i * intervalMs;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let over = false;
    const req = http.get(
      {
        agent,
        host: '127.0.0.1',
        port: spec.port,
        path: spec.paths[i % spec.paths.length],
        headers: spec.headers,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (!over) settle(i, due, res.statusCode ?? 0);
          over = true;
        });
      },
    );
    req.setTimeout(spec.timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      if (!over) settle(i, due, null);
      over = true;
    });
  };

  // Send everything due, then sleep until the next request is due (timers are ~1 ms coarse; the
  // lateness is inside the recorded latency, so it can only make the figures worse).
  const tick = () => {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) {
      if (sent === warmup) process.stdout.write(`${JSON.stringify({ phase: 'measure' })}\n`);
      send(sent++);
    }
    if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
  };
  if (warmup === 0) process.stdout.write(`${JSON.stringify({ phase: 'measure' })}\n`);
  tick();
  await done;
  agent.destroy();
  const sorted = latencies.slice(0, completed).sort();
  return {
    offered: total - warmup,
    completed,
    served_per_s: Math.round((completed * 1000) / Math.max(1, lastAnswer - (start + warmup * intervalMs))),
    non_2xx: non2xx,
    errors,
    p50_ms: percentile(sorted, 0.5),
    p95_ms: percentile(sorted, 0.95),
    p99_ms: percentile(sorted, 0.99),
    p999_ms: percentile(sorted, 0.999),
    max_ms: percentile(sorted, 1),
    max_in_flight: maxInFlight,
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

if (require.main === module) {
  readStdin()
    .then((text) => run(JSON.parse(text) as OpenLoopSpec))
    .then(
      (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
      (err: unknown) => {
        process.stderr.write(
          `open-loop load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
        );
        process.exit(1);
      },
    );
}
