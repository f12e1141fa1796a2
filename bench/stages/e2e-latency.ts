// End-to-end latency on the running local stack: hosts collector, identity resolver and ClickHouse
// sink in this process (unique topics, tenant and ClickHouse database), posts track calls to the
// collector's /v1/batch at a fixed open-loop rate, records when the collector answered 200 for each
// messageId, polls ClickHouse for newly visible rows, and reports the acknowledgement-to-visible
// latency. The sink runs with its production batcher limits (DEFAULT_SINK_LIMITS).
import crypto from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sqlIdentifier, sqlString } from '../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../services/common/clickhouse/migrator';
import type { Config } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import { openScratch } from './bench-scratch';
import type { RunningService } from '../../services/common/runtime/service-definition';
import { tenantDirectory } from '../../services/common/tenants';
import { DEFAULT_SINK_LIMITS, startClickHouseSink } from '../../services/clickhouse-sink/main';
import { startCollector } from '../../services/collector/main';
import { startIdentityResolver } from '../../services/identity-resolver/main';
import { resolverBenchTopics } from '../resolver-topics';

/** Requests allowed in flight at once; beyond it the sender falls behind and says so. */
const MAX_IN_FLIGHT = 64;
/** The sink's chunk size (services/clickhouse-sink/main.ts); its batcher is flushed after each chunk. */
const SINK_CHUNK_SIZE = 2000;

export interface E2eLatencyOptions {
  /** Events per second offered to the collector (open loop). */
  rate: number;
  seconds: number;
  batchSize: number;
  pollMs: number;
  /** How long to wait after sending for the last rows to appear. */
  timeoutSeconds: number;
}

function lastSeenAt(seenAt: Map<string, number>): number {
  let last = 0;
  for (const at of seenAt.values()) if (at > last) last = at;
  return last;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export type E2eLatencyResult = Awaited<ReturnType<typeof runE2eLatency>>;

export async function runE2eLatency(config: Config, opts: E2eLatencyOptions) {
  const run = crypto.randomBytes(4).toString('hex');
  // Tenant ids allow only a-z0-9_-; database names are safest without dots.
  const tenant = `bench-e2e-${run}`;
  const writeKey = `${tenant}-write-key`;
  const database = `cdp_bench_e2e_${run}`;
  const db = sqlIdentifier(database);
  const topics = { ...resolverBenchTopics(`bench.e2e.${run}`), sinkDlq: `bench.e2e.${run}.sink-dlq` };
  const allTopics = [topics.input, topics.dlq, topics.sinkDlq, ...Object.values(topics.outputs)];
  const limits = DEFAULT_SINK_LIMITS;
  const sinkSettings =
    `sink batcher maxRows ${limits.maxRows}, maxBytes ${limits.maxBytes}, maxAgeMs ${limits.maxAgeMs}, ` +
    `flushed after every consumed chunk (<= ${SINK_CHUNK_SIZE} records)`;

  const scratch = await openScratch(config, {
    clientId: `bench-e2e-${run}`,
    topics: allTopics,
    tenant,
    database,
    retentionMs: 3_600_000,
  });
  const { clickhouse } = scratch;
  const logger = createLogger('bench-e2e');
  const tenants = tenantDirectory({ tenants: [{ id: tenant, writeKeys: [writeKey] }] });
  const services: RunningService[] = [];

  const cleanup = async () => {
    for (const s of [...services].reverse()) await s.stop().catch(() => undefined);
    await scratch.cleanup();
  };

  try {
    await migrate(clickhouse, database, loadMigrations());
    // Consumers first, so they are in their groups before the first event arrives.
    services.push(
      await startClickHouseSink(config, logger.child({ service: 'clickhouse-sink' }), {
        topics: {
          events: topics.outputs.resolved,
          profiles: topics.outputs.profiles,
          merges: topics.outputs.merges,
          warnings: topics.outputs.warnings,
          deadLetters: topics.dlq,
        },
        database,
        groupId: `bench-e2e-sink-${run}`,
        dlq: topics.sinkDlq,
        limits,
      }),
    );
    services.push(
      await startIdentityResolver(config, logger.child({ service: 'identity-resolver' }), {
        input: topics.input,
        dlq: topics.dlq,
        outputs: topics.outputs,
        groupId: `bench-e2e-resolver-${run}`,
        tenants,
      }),
    );
    const collector = await startCollector(
      { ...config, CDP_COLLECTOR_HOST: '127.0.0.1', CDP_COLLECTOR_PORT: 0 },
      logger.child({ service: 'collector' }),
      { topic: topics.input, tenants },
    );
    services.push(collector);
    const url = `http://127.0.0.1:${collector.port}/v1/batch`;
    const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

    // Warm-up: one batch through the whole pipeline first, so consumer-group joins, schema
    // registration and connection set-up are not measured.
    const warmStart = Date.now();
    const warmIds = Array.from({ length: opts.batchSize }, (_, i) => `warmup-${run}-${i}`);
    const warmRes = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({
        batch: warmIds.map((messageId) => ({ type: 'track', messageId, userId: 'warmup', event: 'Warm Up' })),
      }),
    });
    await warmRes.arrayBuffer();
    if (warmRes.status !== 200) throw new Error(`collector answered ${warmRes.status} to the warm-up batch`);
    for (;;) {
      const rs = await clickhouse.query({
        query: `SELECT count() AS n FROM ${db}.events WHERE tenant = ${sqlString(tenant)} AND event = 'Warm Up'`,
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ n: string | number }>();
      if (Number(row?.n ?? 0) >= warmIds.length) break;
      if (Date.now() - warmStart > 120_000)
        throw new Error('the warm-up batch was not in ClickHouse after 120 s');
      await sleep(100);
    }
    const warmupMs = Date.now() - warmStart;

    // Zero-padded sequence numbers: lexicographic order of message ids is send order.
    const idOf = (seq: number) => `e2e-${run}-${String(seq).padStart(9, '0')}`;
    const ackedAt = new Map<string, number>();
    const seenAt = new Map<string, number>();
    let lowestUnseen = 0;
    let failedRequests = 0;
    let failedEvents = 0;
    let sendingDone = false;

    // Poller: rows at or above the lowest id not yet seen; the response time is the first-seen time
    // (an upper bound; resolution is the poll interval plus the query's own time).
    let polls = 0;
    let pollErrors = 0;
    const poller = (async () => {
      const deadlineAfterSend = () => sendingDone && seenAt.size >= ackedAt.size;
      let stopAt = Infinity;
      for (;;) {
        const started = Date.now();
        let rows: { message_id: string }[] = [];
        try {
          const rs = await clickhouse.query({
            query:
              `SELECT message_id FROM ${db}.events WHERE tenant = ${sqlString(tenant)} ` +
              `AND message_id >= ${sqlString(idOf(lowestUnseen))} AND message_id LIKE ${sqlString(`e2e-${run}-%`)}`,
            format: 'JSONEachRow',
          });
          rows = await rs.json<{ message_id: string }>();
          polls++;
        } catch (err) {
          pollErrors++;
          process.stderr.write(
            `bench: ClickHouse poll failed: ${err instanceof Error ? err.message : String(err)}\n`,
          );
        }
        const now = Date.now();
        for (const { message_id: id } of rows) if (!seenAt.has(id)) seenAt.set(id, now);
        while (seenAt.has(idOf(lowestUnseen))) lowestUnseen++;
        if (deadlineAfterSend()) return;
        if (sendingDone && stopAt === Infinity) stopAt = now + opts.timeoutSeconds * 1000;
        if (now >= stopAt) return;
        await sleep(opts.pollMs - (Date.now() - started));
      }
    })();

    const requests = Math.ceil((opts.rate * opts.seconds) / opts.batchSize);
    const intervalMs = (opts.batchSize / opts.rate) * 1000;
    let inFlight = 0;
    let maxLagMs = 0;
    const requestMs: number[] = [];
    const pending = new Set<Promise<void>>();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const sendStart = Date.now();
    let seq = 0;
    for (let r = 0; r < requests; r++) {
      const due = sendStart + r * intervalMs;
      // Overdue requests go out at once: a timer turn each would cap catch-up at one per loop turn.
      if (due > Date.now()) await sleep(due - Date.now());
      while (inFlight >= MAX_IN_FLIGHT) await Promise.race(pending);
      maxLagMs = Math.max(maxLagMs, Date.now() - due);
      const ids: string[] = [];
      const batch = [];
      for (let i = 0; i < opts.batchSize; i++) {
        const id = idOf(seq);
        const n = seq++;
        ids.push(id);
        batch.push({
          type: 'track',
          messageId: id,
          userId: `bench-user-${n % 1000}`,
          event: 'Product Viewed',
          properties: { seq: n, sku: `sku-${n % 97}`, price: 19.99 },
          timestamp: new Date().toISOString(),
        });
      }
      inFlight++;
      const p = (async () => {
        try {
          const posted = Date.now();
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: auth },
            body: JSON.stringify({ batch }),
          });
          await res.arrayBuffer();
          const at = Date.now();
          requestMs.push(at - posted);
          if (res.status === 200) for (const id of ids) ackedAt.set(id, at);
          else {
            failedRequests++;
            failedEvents += ids.length;
          }
        } catch {
          failedRequests++;
          failedEvents += ids.length;
        } finally {
          inFlight--;
        }
      })();
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await Promise.all(pending);
    const sendSeconds = (Date.now() - sendStart) / 1000;
    sendingDone = true;
    process.stderr.write(
      `bench: sent ${seq} events in ${sendSeconds.toFixed(1)} s, waiting for ClickHouse\n`,
    );
    await poller;
    loopDelay.disable();

    const latencies: number[] = [];
    // Latency by thirds of the sending window (by acknowledgement time): growth means a backlog.
    const thirds: number[][] = [[], [], []];
    const sendMs = Math.max(1, sendSeconds * 1000);
    let neverSeen = 0;
    for (const [id, acked] of ackedAt) {
      const seen = seenAt.get(id);
      if (seen === undefined) neverSeen++;
      else {
        latencies.push(seen - acked);
        thirds[Math.min(2, Math.floor((3 * (acked - sendStart)) / sendMs))]?.push(seen - acked);
      }
    }
    latencies.sort((a, b) => a - b);
    for (const t of thirds) t.sort((a, b) => a - b);
    requestMs.sort((a, b) => a - b);
    const round = (n: number) => (Number.isNaN(n) ? null : Math.round(n));
    const result = {
      bench: 'e2e-latency',
      at: new Date().toISOString(),
      target_rate: opts.rate,
      seconds: opts.seconds,
      batch_size: opts.batchSize,
      sent: seq,
      acknowledged: ackedAt.size,
      failed_requests: failedRequests,
      failed_events: failedEvents,
      achieved_events_per_s: Math.round(ackedAt.size / sendSeconds),
      // From the first request to the last row seen: the whole pipeline's rate over this run.
      visible_events_per_s:
        seenAt.size === 0 ? null : Math.round(seenAt.size / ((lastSeenAt(seenAt) - sendStart) / 1000)),
      max_send_lag_ms: Math.round(maxLagMs),
      request_p50_ms: round(percentile(requestMs, 50)),
      request_p99_ms: round(percentile(requestMs, 99)),
      event_loop_delay_p99_ms: Math.round(loopDelay.percentile(99) / 1e6),
      event_loop_delay_max_ms: Math.round(loopDelay.max / 1e6),
      p50_ms: round(percentile(latencies, 50)),
      p95_ms: round(percentile(latencies, 95)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(latencies[latencies.length - 1] ?? NaN),
      p50_ms_by_third: thirds.map((t) => round(percentile(t, 50))),
      never_seen: neverSeen,
      timeout_seconds: opts.timeoutSeconds,
      poll_ms: opts.pollMs,
      polls,
      warmup_ms: warmupMs,
      poll_errors: pollErrors,
      partitions: config.CDP_TOPIC_PARTITIONS,
      sink_limits: limits,
      sink_chunk_size: SINK_CHUNK_SIZE,
    };
    process.stderr.write(
      `bench: e2e ${result.acknowledged}/${result.sent} acknowledged at ${result.achieved_events_per_s} events/s ` +
        `(target ${opts.rate}/s, ${failedRequests} failed requests); ack -> visible p50 ${result.p50_ms} ms, ` +
        `p99 ${result.p99_ms} ms; ${neverSeen} never seen (${sinkSettings})\n`,
    );
    return result;
  } finally {
    await cleanup();
  }
}
