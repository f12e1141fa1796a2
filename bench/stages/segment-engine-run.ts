// The segment engine on the bench population: the resolver's outputs (resolved events, profile
// changes, merges) drained by a pass-through of those three topics and by the engine with 20 segments
// and 10 computed traits; then event -> membership latency at a fixed offered rate; Redis bytes of
// segment state per profile; and `verify` of every segment (SQL over ClickHouse vs live members).
import crypto from 'node:crypto';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { loadMigrations, migrate } from '../../services/common/clickhouse/migrator';
import type { Config } from '../../services/common/config';
import type { ComputedTraitDefinition } from '../../services/common/definitions/kinds/computed-trait';
import { computedTraitSchema } from '../../services/common/definitions/kinds/computed-trait';
import { segmentSchema, type SegmentDefinition } from '../../services/common/definitions/kinds/segment';
import { definitionMessage } from '../../services/common/definitions/definitions-topic';
import { createProducer } from '../../services/common/kafka/producer';
import type { Logger } from '../../services/common/logger';
import { identityMerges } from '../../services/common/streams/identity-merges';
import { profileChanges } from '../../services/common/streams/profile-changes';
import { resolvedEvents } from '../../services/common/streams/resolved-events';
import { segmentMembership } from '../../services/common/streams/segment-membership';
import { tenantDirectory } from '../../services/common/tenants';
import { DEFAULT_SINK_LIMITS, startClickHouseSink } from '../../services/clickhouse-sink/main';
import { startIdentityResolver } from '../../services/identity-resolver/main';
import { startSegmentEngine } from '../../services/segment-engine/main';
import { membersKey, statePattern } from '../../services/segment-engine/redis-keys';
import { deleteTenantSegmentState } from '../../services/segment-engine/segment-state-store';
import { compileSegment } from '../../services/segment-engine/sql/compile-segment';
import { resolverBenchTopics } from '../resolver-topics';
import { openScratch } from './bench-scratch';
import { measureDrain, recordsIn, type DrainRate } from './drain-rate';
import { startPassThrough } from './pass-through';
import { publishPopulation } from './publish-population';
import { countClientTraffic, type ClientTraffic } from './redis-client-traffic';
import { usedMemory, waitForLazyFree } from './redis-stats';
import { BENCH_COMPUTED_TRAITS, BENCH_SEGMENTS, PING_EVENT, PING_SEGMENT } from './segment-definitions';

export interface SegmentBenchOptions {
  events: number;
  seed: number;
  truthFile: string;
  /** Offered rate (events/s) and duration of the latency phase. */
  rate: number;
  seconds: number;
  timeoutSeconds: number;
}

export interface SegmentBenchResult {
  events: number;
  segments: number;
  computedTraits: number;
  /** Drains of every record of the three input topics (changes and merges included). */
  passThrough: DrainRate;
  engine: DrainRate;
  /** Resolved events in the backlog: the unit both rates are counted in. */
  resolvedEvents: number;
  /** Resolved events per second of the pass-through's drain of the same three topics. */
  passThroughEventsPerSecond: number;
  /** Resolved events per second of the engine's drain (it also reads changes and merges). */
  engineEventsPerSecond: number;
  engineToPassThrough: number;
  /** CPU time of this process per 1,000 resolved events while each drained (the bench's own polling included). */
  passThroughCpuMsPer1000: number;
  engineCpuMsPer1000: number;
  /** What the engine's Redis connection sent during its drain, per resolved event. */
  engineRedis: ClientTraffic & { commandsPerEvent: number; roundTripsPerEvent: number };
  latency: { rate: number; sent: number; received: number; p50Ms: number; p99Ms: number };
  redisBytesPerProfile: number;
  profilesWithState: number;
  verify: { segment: string; sql: number; live: number; differences: number; sample: string[] }[];
  verifyDifferences: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function countKeys(redis: import('ioredis').Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

export async function runSegmentBench(
  config: Config,
  logger: Logger,
  options: SegmentBenchOptions,
): Promise<SegmentBenchResult> {
  const run = crypto.randomBytes(4).toString('hex');
  const tenant = `bench-seg-${run}`;
  const topics = resolverBenchTopics(`bench.${run}`);
  const seg = {
    membership: `bench.${run}.membership`,
    computed: `bench.${run}.computed`,
    definitions: `bench.${run}.definitions`,
    pass: `bench.${run}.pass-resolved`,
    passChanges: `bench.${run}.pass-changes`,
    passMerges: `bench.${run}.pass-merges`,
    sinkDlq: `bench.${run}.sink-dlq`,
  };
  const database = `cdp_bench_seg_${run}`;
  const allTopics = [topics.input, topics.dlq, ...Object.values(topics.outputs), ...Object.values(seg)];
  const scratch = await openScratch(config, {
    clientId: `bench-seg-${run}`,
    topics: allTopics,
    tenant,
    database,
    retentionMs: 6 * 3_600_000,
  });
  const { kafka, redis, clickhouse } = scratch;
  const now = Date.now();
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const producer = await createProducer(kafka);
  try {
    const population = await publishPopulation(config, kafka, {
      topic: topics.input,
      tenant,
      events: options.events,
      seed: options.seed,
      truthFile: options.truthFile,
    });
    process.stderr.write(`bench: segments: resolving ${population.records} records first\n`);
    const resolverGroup = `bench-seg-resolver-${run}`;
    const resolver = await startIdentityResolver(config, logger, {
      ...topics,
      groupId: resolverGroup,
      tenants: tenantDirectory({ tenants: [{ id: tenant, writeKeys: [`${tenant}-write-key`] }] }),
    });
    await measureDrain(kafka, {
      groupId: resolverGroup,
      topics: [topics.input],
      label: 'resolver',
      timeoutSeconds: options.timeoutSeconds,
    }).finally(() => resolver.stop());

    // The pass-through reads what the engine reads (resolved events, profile changes, merges: about
    // 0.8 change or merge per event), so the ratio compares the engine's own work with the cost of
    // moving its whole input; both rates are counted in resolved events per second.
    process.stderr.write('bench: segments: pass-through of resolved events, profile changes and merges\n');
    const resolvedRecords = await recordsIn(kafka, [topics.outputs.resolved]);
    const passGroup = `bench-seg-pass-${run}`;
    const pass = await startPassThrough(config, logger, {
      input: topics.outputs.resolved,
      output: seg.pass,
      dlq: topics.dlq,
      groupId: passGroup,
      stream: resolvedEvents,
      also: [
        { input: topics.outputs.changes, output: seg.passChanges, stream: profileChanges },
        { input: topics.outputs.merges, output: seg.passMerges, stream: identityMerges },
      ],
    });
    const passCpu = process.cpuUsage();
    const passThrough = await measureDrain(kafka, {
      groupId: passGroup,
      topics: [topics.outputs.resolved, topics.outputs.changes, topics.outputs.merges],
      label: 'pass-through',
      timeoutSeconds: options.timeoutSeconds,
    }).finally(() => pass.stop());
    const passCpuUsed = process.cpuUsage(passCpu);

    for (const body of [...BENCH_COMPUTED_TRAITS, ...BENCH_SEGMENTS])
      await producer.send([
        await definitionMessage(
          codec,
          { tenant, kind: body.kind, id: body.id, version: 1, body: JSON.stringify(body), updatedAt: now },
          seg.definitions,
        ),
      ]);

    process.stderr.write('bench: segments: the engine with 20 segments and 10 computed traits\n');
    await waitForLazyFree(redis);
    const memoryBefore = await usedMemory(redis);
    const engineGroup = `bench-seg-engine-${run}`;
    const inputs = {
      events: topics.outputs.resolved,
      changes: topics.outputs.changes,
      merges: topics.outputs.merges,
    };
    const stopCounting = countClientTraffic('cdp-segment-engine');
    const engineCpu = process.cpuUsage();
    const engineService = await startSegmentEngine(config, logger, {
      inputs,
      outputs: { membership: seg.membership, computed: seg.computed },
      dlq: topics.dlq,
      groupId: engineGroup,
      definitionsTopic: seg.definitions,
      now: () => now,
    });
    let engine: DrainRate;
    let latency: SegmentBenchResult['latency'];
    let memoryAfter: number;
    let engineCpuUsed: NodeJS.CpuUsage;
    let engineTraffic: ClientTraffic;
    try {
      engine = await measureDrain(kafka, {
        groupId: engineGroup,
        topics: Object.values(inputs),
        label: 'segment engine',
        timeoutSeconds: options.timeoutSeconds,
      }).finally(() => {
        engineTraffic = stopCounting();
        engineCpuUsed = process.cpuUsage(engineCpu);
      });
      memoryAfter = await usedMemory(redis);

      process.stderr.write(`bench: segments: latency at ${options.rate} events/s for ${options.seconds} s\n`);
      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      const consumer = kafka.consumer({ groupId: `bench-seg-latency-${run}` });
      await consumer.connect();
      await consumer.subscribe({ topic: seg.membership, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const r = await codec.decodeRecord(segmentMembership, message.value);
          const sent = sentAt.get(r.profileId);
          if (r.segmentId === PING_SEGMENT && sent !== undefined) latencies.push(Date.now() - sent);
        },
      });
      const total = options.rate * options.seconds;
      const started = Date.now();
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / options.rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const profileId = `ping-${run}-${i}`;
        const record = { ...pingRecord(tenant, profileId, `ping-${run}-${i}`, now) };
        sentAt.set(profileId, Date.now());
        await producer.send([
          {
            topic: inputs.events,
            key: profileId,
            value: await codec.encodeRecord(resolvedEvents, record, inputs.events),
          },
        ]);
      }
      const deadline = Date.now() + 60_000;
      while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await consumer.disconnect();
      const sorted = [...latencies].sort((a, b) => a - b);
      latency = {
        rate: options.rate,
        sent: total,
        received: latencies.length,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
      };
    } finally {
      await engineService.stop();
    }

    const profilesWithState = await countKeys(redis, statePattern(tenant));

    process.stderr.write('bench: segments: ClickHouse sink, then verify every segment\n');
    await migrate(clickhouse, database, loadMigrations());
    const sinkGroup = `bench-seg-sink-${run}`;
    const sinkTopics = {
      events: topics.outputs.resolved,
      profiles: topics.outputs.profiles,
      merges: topics.outputs.merges,
      warnings: topics.outputs.warnings,
      deadLetters: topics.dlq,
      membership: seg.membership,
      computed: seg.computed,
    };
    const sink = await startClickHouseSink(config, logger, {
      topics: sinkTopics,
      database,
      groupId: sinkGroup,
      dlq: seg.sinkDlq,
      limits: DEFAULT_SINK_LIMITS,
    });
    await measureDrain(kafka, {
      groupId: sinkGroup,
      topics: Object.values(sinkTopics),
      label: 'sink',
      timeoutSeconds: options.timeoutSeconds,
    }).finally(() => sink.stop());
    const ctx = {
      database,
      tenant,
      now,
      segments: new Map(BENCH_SEGMENTS.map((s) => [s.id, segmentSchema.parse(s) as SegmentDefinition])),
      traits: new Map(
        BENCH_COMPUTED_TRAITS.map((t) => [t.id, computedTraitSchema.parse(t) as ComputedTraitDefinition]),
      ),
    };
    const verify: SegmentBenchResult['verify'] = [];
    for (const [id, s] of ctx.segments) {
      // Ping profiles exist only as engine input (no resolver, no profiles row): not comparable.
      if (id === PING_SEGMENT) continue;
      const rs = await clickhouse.query({ query: compileSegment(s, ctx), format: 'JSONEachRow' });
      const fromSql = new Set((await rs.json<{ profile_id: string }>()).map((r) => r.profile_id));
      const live = new Set(await redis.zrange(membersKey(tenant, id), 0, -1));
      let differences = 0;
      for (const p of fromSql) if (!live.has(p)) differences++;
      for (const p of live) if (!fromSql.has(p)) differences++;
      const sample = [...fromSql]
        .filter((p) => !live.has(p))
        .concat([...live].filter((p) => !fromSql.has(p)))
        .slice(0, 3);
      verify.push({ segment: id, sql: fromSql.size, live: live.size, differences, sample });
    }
    // Both drain changes and merges too; their rates are counted in resolved events.
    const engineEventsPerSecond = engine.seconds === 0 ? 0 : Math.round(resolvedRecords / engine.seconds);
    const passThroughEventsPerSecond =
      passThrough.seconds === 0 ? 0 : Math.round(resolvedRecords / passThrough.seconds);
    const cpuPer1000 = (u: NodeJS.CpuUsage) =>
      resolvedRecords === 0 ? 0 : Math.round(((u.user + u.system) / 1000 / resolvedRecords) * 1000 * 10) / 10;
    const perEvent = (n: number) =>
      resolvedRecords === 0 ? 0 : Math.round((n / resolvedRecords) * 1000) / 1000;
    return {
      events: population.records,
      segments: BENCH_SEGMENTS.length,
      computedTraits: BENCH_COMPUTED_TRAITS.length,
      passThrough,
      engine,
      resolvedEvents: resolvedRecords,
      passThroughEventsPerSecond,
      engineEventsPerSecond,
      engineToPassThrough:
        passThroughEventsPerSecond === 0
          ? 0
          : Math.round((engineEventsPerSecond / passThroughEventsPerSecond) * 100) / 100,
      passThroughCpuMsPer1000: cpuPer1000(passCpuUsed),
      engineCpuMsPer1000: cpuPer1000(engineCpuUsed!),
      engineRedis: {
        ...engineTraffic!,
        commandsPerEvent: perEvent(engineTraffic!.commands),
        roundTripsPerEvent: perEvent(engineTraffic!.roundTrips),
      },
      latency,
      redisBytesPerProfile:
        profilesWithState === 0 ? 0 : Math.round((memoryAfter - memoryBefore) / profilesWithState),
      profilesWithState,
      verify,
      verifyDifferences: verify.reduce((n, v) => n + v.differences, 0),
    };
  } finally {
    await producer.disconnect();
    if (process.env.CDP_BENCH_KEEP !== '1')
      await deleteTenantSegmentState(redis, tenant).catch(() => undefined);
    if (process.env.CDP_BENCH_KEEP !== '1') await scratch.cleanup();
    else process.stderr.write(`bench: kept tenant ${tenant}, database ${database}\n`);
  }
}

function pingRecord(tenant: string, profileId: string, messageId: string, at: number) {
  return {
    messageId,
    type: 'track' as const,
    tenant,
    userId: profileId,
    anonymousId: null,
    previousId: null,
    event: PING_EVENT,
    name: null,
    groupId: null,
    traits: null,
    properties: '{}',
    context: '{}',
    integrations: null,
    timestamp: at,
    sentAt: null,
    originalTimestamp: null,
    receivedAt: at,
    profileId,
    resolvedAt: at,
  };
}

export function segmentBenchRows(r: SegmentBenchResult): [string, string, string, string][] {
  const f = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  return [
    ['segments / computed traits', `${r.segments} / ${r.computedTraits}`, '', ''],
    [
      'pass-through events/s (resolved events; changes and merges read too)',
      f(r.passThroughEventsPerSecond),
      '',
      '',
    ],
    ['segment engine events/s', f(r.engineEventsPerSecond), '', ''],
    [
      'segment engine / pass-through',
      f(r.engineToPassThrough, 2),
      '0.50',
      r.engineToPassThrough >= 0.5 ? 'yes' : 'no',
    ],
    ['pass-through CPU ms/1,000 events', f(r.passThroughCpuMsPer1000, 1), '', ''],
    ['segment engine CPU ms/1,000 events (start-up included)', f(r.engineCpuMsPer1000, 1), '', ''],
    ['segment engine Redis commands/event', f(r.engineRedis.commandsPerEvent, 3), '', ''],
    ['segment engine Redis round trips/event', f(r.engineRedis.roundTripsPerEvent, 3), '', ''],
    [`event -> membership p50 ms at ${f(r.latency.rate)}/s`, f(r.latency.p50Ms), '', ''],
    [
      `event -> membership p99 ms at ${f(r.latency.rate)}/s`,
      f(r.latency.p99Ms),
      '2,000',
      r.latency.p99Ms <= 2000 ? 'yes' : 'no',
    ],
    ['Redis bytes of segment state/profile', f(r.redisBytesPerProfile), '', ''],
    [
      'verify differences (all segments)',
      f(r.verifyDifferences),
      '0',
      r.verifyDifferences === 0 ? 'yes' : 'no',
    ],
  ];
}
