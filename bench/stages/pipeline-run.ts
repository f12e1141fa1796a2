// One population size through the stages that read Kafka: the pass-through baseline, the identity
// resolver (with its Redis cost and accuracy against the ground truth) and the ClickHouse sink, each
// alone on the same pre-published backlog, on private topics, tenant and database.
import crypto from 'node:crypto';
import { sqlIdentifier, sqlString } from '../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../services/common/clickhouse/migrator';
import type { Config } from '../../services/common/config';
import type { Logger } from '../../services/common/logger';
import { deleteKeysMatching } from '../../services/common/redis/delete-keys';
import { openScratch } from './bench-scratch';
import { tenantDirectory } from '../../services/common/tenants';
import { DEFAULT_SINK_LIMITS, startClickHouseSink } from '../../services/clickhouse-sink/main';
import { DEFAULT_DEDUPE_BUCKETS } from '../../services/identity-resolver/identity-rules';
import { startIdentityResolver } from '../../services/identity-resolver/main';
import { tenantPrefix } from '../../services/identity-resolver/redis-keys';
import { resolverBenchTopics } from '../resolver-topics';
import { measureDrain, recordsIn, type DrainRate } from './drain-rate';
import { startPassThrough } from './pass-through';
import { readIdentifierIndex } from './population-index';
import { publishPopulation, type PublishedPopulation } from './publish-population';
import { commandCalls, commandCost, usedMemory, waitForLazyFree, type CommandCost } from './redis-stats';
import { measureAccuracy, type AccuracyResult } from './accuracy-stage';

export interface PipelineRunOptions {
  events: number;
  seed: number;
  /** Skip the ClickHouse sink stage (cost-growth runs at large sizes). */
  sink: boolean;
  truthFile: string;
  timeoutSeconds: number;
  /**
   * Leave the population in place (topics, Redis graph, migrated ClickHouse database, two private
   * privacy topics) for later stages; the caller calls `space.cleanup()`.
   */
  keep?: boolean;
}

/** A resolved population later stages read (profile API) or delete from (privacy). */
export interface PopulationSpace {
  tenant: string;
  database: string;
  topics: ReturnType<typeof resolverBenchTopics>;
  privacyTopics: { requests: string; receipts: string };
  cleanup(): Promise<void>;
}

export interface PipelineRunResult {
  events: number;
  population: PublishedPopulation;
  passThrough: DrainRate;
  resolver: DrainRate & { cpuMsPerThousandEvents: number };
  sink: (DrainRate & { resolvedEvents: number; eventsPerSecond: number; rowsInClickHouse: number }) | null;
  redis: {
    identifiers: number;
    profiles: number;
    bytes: number;
    graphBytes: number;
    bytesPerIdentifier: number;
    graphBytesPerIdentifier: number;
    bytesPerProfile: number;
    dedupeBytesPerEvent: number;
    commandsPerEvent: number;
    roundTripsPerEvent: number;
    commands: CommandCost;
  };
  accuracy: AccuracyResult;
  /** Set with `keep`. */
  space?: PopulationSpace;
}

export async function runPipeline(
  config: Config,
  logger: Logger,
  options: PipelineRunOptions,
): Promise<PipelineRunResult> {
  const run = crypto.randomBytes(4).toString('hex');
  const tenant = `bench-${run}`;
  const topics = resolverBenchTopics(`bench.${run}`);
  const passOutput = `bench.${run}.pass-through`;
  const sinkDlq = `bench.${run}.sink-dlq`;
  const database = `cdp_bench_${run}`;
  const privacyTopics = {
    requests: `bench.${run}.privacy-requests`,
    receipts: `bench.${run}.privacy-receipts`,
  };
  const allTopics = [topics.input, topics.dlq, passOutput, sinkDlq, ...Object.values(topics.outputs)];
  if (options.keep) allTopics.push(privacyTopics.requests, privacyTopics.receipts);
  const scratch = await openScratch(config, {
    clientId: `bench-${run}`,
    topics: allTopics,
    tenant,
    database,
    retentionMs: 6 * 3_600_000,
  });
  const { kafka, redis, clickhouse } = scratch;
  // Sized as docs/identity.md tells operators to: about 100 messages per dedupe hash per period.
  const dedupeBuckets = Math.max(DEFAULT_DEDUPE_BUCKETS, Math.ceil(options.events / 100));
  const tenants = tenantDirectory({
    tenants: [{ id: tenant, writeKeys: [`${tenant}-write-key`], identity: { dedupeBuckets } }],
  });
  const timeoutSeconds = options.timeoutSeconds;

  try {
    const population = await publishPopulation(config, kafka, {
      topic: topics.input,
      tenant,
      events: options.events,
      seed: options.seed,
      truthFile: options.truthFile,
    });

    process.stderr.write(`bench: pass-through baseline over ${population.records} records\n`);
    const passGroup = `bench-pass-${run}`;
    const pass = await startPassThrough(config, logger, {
      input: topics.input,
      output: passOutput,
      dlq: `${topics.dlq}`,
      groupId: passGroup,
    });
    const passThrough = await measureDrain(kafka, {
      groupId: passGroup,
      topics: [topics.input],
      label: 'pass-through',
      timeoutSeconds,
    }).finally(() => pass.stop());

    process.stderr.write(`bench: identity resolver over ${population.records} records\n`);
    await waitForLazyFree(redis);
    const memoryBefore = await usedMemory(redis);
    const callsBefore = await commandCalls(redis);
    const resolverGroup = `bench-resolver-${run}`;
    // The resolver runs in this process: its CPU time per event is less disturbed by other load
    // on the machine than its wall-clock rate (the drain poller's share is small).
    const cpuBefore = process.cpuUsage();
    const resolverService = await startIdentityResolver(config, logger, {
      ...topics,
      groupId: resolverGroup,
      tenants,
    });
    const resolver = await measureDrain(kafka, {
      groupId: resolverGroup,
      topics: [topics.input],
      label: 'resolver',
      timeoutSeconds,
    }).finally(() => resolverService.stop());
    const cpu = process.cpuUsage(cpuBefore);
    const resolverCpuMsPerThousand =
      Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, population.records)) * 1000 * 10) / 10;
    process.stderr.write(
      `bench: resolver CPU ${resolverCpuMsPerThousand} ms per 1,000 events (user+system of this process)\n`,
    );
    const commands = commandCost(callsBefore, await commandCalls(redis));
    const memoryAfter = await usedMemory(redis);

    const index = await readIdentifierIndex(redis, tenant);
    const accuracy = await measureAccuracy(options.truthFile, index);
    const profiles = new Set(index.values()).size;
    await deleteKeysMatching(redis, `${tenantPrefix(tenant)}:m:*`);
    await waitForLazyFree(redis);
    const memoryGraph = await usedMemory(redis);
    const identifiers = index.size;
    const bytes = memoryAfter - memoryBefore;
    const graphBytes = memoryGraph - memoryBefore;
    const per = (n: number, d: number) => (d === 0 ? 0 : Math.round((n / d) * 100) / 100);
    const redisResult = {
      identifiers,
      profiles,
      bytes,
      graphBytes,
      bytesPerIdentifier: Math.round(per(bytes, identifiers)),
      graphBytesPerIdentifier: Math.round(per(graphBytes, identifiers)),
      bytesPerProfile: Math.round(per(graphBytes, profiles)),
      dedupeBytesPerEvent: Math.round(per(bytes - graphBytes, population.uniqueMessageIds)),
      commandsPerEvent: per(commands.commands, population.records),
      roundTripsPerEvent: per(commands.roundTrips, population.records),
      commands,
    };

    let sink: PipelineRunResult['sink'] = null;
    if (options.keep && !options.sink) await migrate(clickhouse, database, loadMigrations());
    if (options.sink) {
      const sinkTopics = {
        events: topics.outputs.resolved,
        profiles: topics.outputs.profiles,
        merges: topics.outputs.merges,
        warnings: topics.outputs.warnings,
        deadLetters: topics.dlq,
      };
      await migrate(clickhouse, database, loadMigrations());
      const resolvedEvents = await recordsIn(kafka, [sinkTopics.events]);
      process.stderr.write(
        `bench: ClickHouse sink over ${resolvedEvents} resolved events and their snapshots\n`,
      );
      const sinkGroup = `bench-sink-${run}`;
      const sinkService = await startClickHouseSink(config, logger, {
        topics: sinkTopics,
        database,
        groupId: sinkGroup,
        dlq: sinkDlq,
        limits: DEFAULT_SINK_LIMITS,
      });
      const drained = await measureDrain(kafka, {
        groupId: sinkGroup,
        topics: Object.values(sinkTopics),
        label: 'sink',
        timeoutSeconds,
      }).finally(() => sinkService.stop());
      const rs = await clickhouse.query({
        query: `SELECT uniqExact(message_id) AS n FROM ${sqlIdentifier(database)}.events WHERE tenant = ${sqlString(tenant)}`,
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{ n: string | number }>();
      sink = {
        ...drained,
        resolvedEvents,
        eventsPerSecond: Math.round((drained.perSecond * resolvedEvents) / Math.max(1, drained.records)),
        rowsInClickHouse: Number(row?.n ?? 0),
      };
    }
    return {
      events: population.records,
      population,
      passThrough,
      resolver: { ...resolver, cpuMsPerThousandEvents: resolverCpuMsPerThousand },
      sink,
      redis: redisResult,
      accuracy,
      ...(options.keep && {
        space: { tenant, database, topics, privacyTopics, cleanup: () => scratch.cleanup() },
      }),
    };
  } catch (err) {
    if (options.keep) await scratch.cleanup();
    throw err;
  } finally {
    if (!options.keep) await scratch.cleanup();
  }
}
