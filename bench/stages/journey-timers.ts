// Bench of the journey engine's timers on the running stack: N profiles enter a journey (trigger ->
// wait -> send) and wait on timers; then the pump fires them and sends the actions to a private
// Kafka topic. Reports Redis bytes per waiting instance, timer lateness p50/p99 (commit time minus
// due time) and actions/s. Entry times are chosen so that the due times spread evenly over
// `spreadSeconds`, starting after every profile entered: the bench measures firing, not entering.
//
//   node dist/bench/stages/journey-timers.js [--profiles 100000] [--spread 60]
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { loadConfig, type Config } from '../../services/common/config';
import { journeySchema } from '../../services/common/definitions/kinds/journey';
import { createKafka } from '../../services/common/kafka/kafka-client';
import { createProducer } from '../../services/common/kafka/producer';
import { createLogger } from '../../services/common/logger';
import { createRedis } from '../../services/common/redis/redis-client';
import { journeyActions } from '../../services/common/streams/journey-actions';
import { IdentityGraph } from '../../services/identity-resolver/identity-graph';
import { tenantPrefix } from '../../services/identity-resolver/redis-keys';
import { JourneyEngine } from '../../services/journey-engine/journey-engine';
import {
  actionsOutboxKey,
  bucketPrefix,
  stepLogOutboxKey,
  timersKey,
} from '../../services/journey-engine/journey-keys';
import { JourneyPump } from '../../services/journey-engine/journey-pump';
import { JourneyStateStore } from '../../services/journey-engine/journey-state-store';
import { JourneyVersions } from '../../services/journey-engine/journey-versions';
import { IdentityGraphFacts } from '../../services/journey-engine/profile-facts';
import { journeyRows } from '../report/capability-rows';
import { formatTable, SUMMARY_HEADER } from '../report/results-table';

export interface JourneyTimersResult {
  profiles: number;
  enterPerSecond: number;
  bytesPerWaitingInstance: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  actionsPerSecond: number;
}

const WAIT_SECONDS = 3600;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function pool<T>(items: T[], concurrency: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

export async function runJourneyTimersBench(
  config: Config,
  options: { profiles: number; spreadSeconds: number },
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<JourneyTimersResult> {
  const tenant = `bench-j-${crypto.randomBytes(4).toString('hex')}`;
  const topic = `bench.journeys.actions.${crypto.randomBytes(4).toString('hex')}`;
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-bench-journeys');
  const kafka = createKafka(config, 'cdp-bench-journeys', { quiet: true });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const producer = await createProducer(kafka);
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  await codec.register(topic, journeyActions.schema());
  const journey = journeySchema.parse({
    kind: 'journey',
    id: 'bench',
    trigger: { event: 'Bench Entered' },
    steps: [
      { id: 'hold', wait: { seconds: WAIT_SECONDS } },
      { id: 'nudge', send: { destination: 'mailer', message: 'bench-nudge' } },
    ],
  });
  const store = new JourneyStateStore(redis);
  const engine = new JourneyEngine({
    store,
    versions: new JourneyVersions(redis),
    facts: new IdentityGraphFacts(new IdentityGraph(redis)),
    current: () => [{ id: 'bench', version: 1, body: journey }],
  });
  const lateness: number[] = [];
  let firstFired = 0;
  let lastFired = 0;
  const pump = new JourneyPump({
    engine,
    store,
    outbox: { redis, codec, producer, actionsTopic: topic },
    tenants: () => [tenant],
    logger: createLogger('bench-journeys', 'warn'),
    tickMs: 50,
    onFired: (_t, due, at) => {
      lateness.push(at - due);
      if (firstFired === 0) firstFired = at;
      lastFired = at;
    },
  });
  try {
    // Profile ids shaped like the resolver's (UUIDs): the key and timer member sizes are real.
    const ids = Array.from({ length: options.profiles }, () => crypto.randomUUID());
    // Enter a warm-up slice first to learn the entry rate, then place every due time after the end.
    const started = Date.now();
    const estimate = Math.max(10, (options.profiles / 3000) * 2);
    const firstDue = started + Math.round(estimate * 1000);
    const spreadMs = options.spreadSeconds * 1000;
    await pool(ids, 64, async (profileId, i) => {
      const due = firstDue + Math.floor((i * spreadMs) / options.profiles);
      // Entered from Kafka as the service does (journey-handler.ts): the record's offset is kept as
      // the profile's input mark, so its bytes are counted too.
      const mark = { role: 'events:cdp.events.resolved.v1', offset: BigInt(1_000_000_000 + i) };
      await engine.apply(
        tenant,
        profileId,
        {
          kind: 'event',
          id: `${profileId}-entered`,
          at: due - WAIT_SECONDS * 1000,
          event: {
            messageId: `${profileId}-entered`,
            type: 'track',
            event: 'Bench Entered',
            properties: {},
            timestamp: Date.now(),
            userId: null,
          },
        },
        { mark },
      );
    });
    const entered = Date.now();
    const enterPerSecond = Math.round(options.profiles / ((entered - started) / 1000));
    log(
      `entered ${options.profiles} profiles in ${((entered - started) / 1000).toFixed(1)} s (${enterPerSecond}/s)`,
    );
    if (entered > firstDue)
      log(
        `warning: entering took longer than planned; the first timers are late by ${entered - firstDue} ms`,
      );

    // Bytes per waiting instance: every key the engine keeps for the tenant (profile buckets,
    // timers, journey versions), by MEMORY USAGE with every element counted, divided by the waiting
    // instances. The two outboxes are reported apart: the pump empties them as it sends (here it has
    // not started yet, so they hold every entry's step log rows).
    const parts = { buckets: 0, timers: 0, other: 0, outboxes: 0 };
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${tenantPrefix(tenant)}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const bytes = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
        if (key === actionsOutboxKey(tenant) || key === stepLogOutboxKey(tenant)) parts.outboxes += bytes;
        else if (key === timersKey(tenant)) parts.timers += bytes;
        else if (key.startsWith(bucketPrefix(tenant))) parts.buckets += bytes;
        else parts.other += bytes;
      }
    } while (cursor !== '0');
    const per = (n: number) => Math.round(n / options.profiles);
    const bytesPerWaitingInstance = per(parts.buckets + parts.timers + parts.other);
    log(
      `redis bytes per waiting instance: ${bytesPerWaitingInstance} (profile state ${per(parts.buckets)}, ` +
        `timer ${per(parts.timers)}, other ${per(parts.other)}; outboxes not yet drained ${per(parts.outboxes)})`,
    );

    const cpuBefore = process.cpuUsage();
    pump.start();
    const deadline = firstDue + spreadMs + 120_000;
    while (lateness.length < options.profiles && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    await pump.stop();
    // This process's CPU per fired timer (the pump, its Redis client and the Kafka producer): a
    // figure that other work on a shared machine disturbs less than lateness does.
    const cpu = process.cpuUsage(cpuBefore);
    log(
      `process CPU per fired timer: ${Math.round((cpu.user + cpu.system) / Math.max(1, lateness.length))} us`,
    );
    const sorted = [...lateness].sort((a, b) => a - b);
    log(
      `lateness p90 ${percentile(sorted, 90)} ms, p95 ${percentile(sorted, 95)} ms, p98 ${percentile(sorted, 98)} ms`,
    );
    const result: JourneyTimersResult = {
      profiles: options.profiles,
      enterPerSecond,
      bytesPerWaitingInstance,
      latenessP50Ms: percentile(sorted, 50),
      latenessP99Ms: percentile(sorted, 99),
      latenessMaxMs: sorted[sorted.length - 1] ?? 0,
      actionsPerSecond: Math.round(lateness.length / Math.max(0.001, (lastFired - firstFired) / 1000)),
    };
    log(
      `fired ${lateness.length}/${options.profiles} timers over ${((lastFired - firstFired) / 1000).toFixed(1)} s: ` +
        `lateness p50 ${result.latenessP50Ms} ms, p99 ${result.latenessP99Ms} ms, max ${result.latenessMaxMs} ms; ` +
        `${result.actionsPerSecond} actions/s`,
    );
    return result;
  } finally {
    await pump.stop().catch(() => undefined);
    // Remove every key of the bench tenant (its graph has none: profiles were never resolved).
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${tenantPrefix(tenant)}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await redis.quit();
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { profiles: { type: 'string', default: '100000' }, spread: { type: 'string', default: '60' } },
  });
  runJourneyTimersBench(loadConfig(), {
    profiles: Number(values.profiles),
    spreadSeconds: Number(values.spread),
  }).then(
    (r) => {
      process.stdout.write(`${formatTable(SUMMARY_HEADER, journeyRows(r, Number(values.spread)))}\n`);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`journey timers bench failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
