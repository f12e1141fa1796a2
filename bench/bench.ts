// `make bench`: a seeded population with known truth through every stage on the running local
// stack, side by side with a pass-through baseline; prints one table and writes
// bench/results/latest.json (plus a line per run in history.ndjson and, with several sizes, a PNG).
//
//   node dist/bench/bench.js [--events 100000] [--sizes 10000,100000] [--large] [--seed 42]
//        [--rate 1000] [--seconds 30] [--no-collector] [--no-e2e] [--sink-max 1000000]
//        [--import-rows 1000000] [--no-import] [--no-segments]
//        [--activation-deliveries 20000] [--no-activation] [--journey-profiles 100000]
//        [--journey-spread 60] [--no-journeys] [--api-rate 2000] [--api-seconds 20] [--no-profile-api]
//        [--privacy-subjects 100] [--no-privacy]
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, repoRoot, type Config } from '../services/common/config';
import { createLogger } from '../services/common/logger';
import { renderCostPlot } from './report/cost-plot';
import { formatTable, SUMMARY_HEADER, summaryRows, type BenchSummary } from './report/results-table';
import { TARGETS } from './report/targets';
import { runE2eLatency, type E2eLatencyResult } from './stages/e2e-latency';
import { runImportRateInChild, type ImportRateResult } from './stages/import-rate';
import { runPipeline, type PipelineRunResult } from './stages/pipeline-run';
import { runSegmentBench, segmentBenchRows, type SegmentBenchResult } from './stages/segment-engine-run';
import { activationRows, journeyRows, privacyRows, profileApiRows } from './report/capability-rows';
import { runActivationBench, type ActivationBenchResult } from './stages/activation-run';
import { runJourneyTimersBench, type JourneyTimersResult } from './stages/journey-timers';
import { distinctSubjects, lookupTargets, readIdentifierIndex } from './stages/population-index';
import { measureDeletesBesideNeighbour, type PrivacyBenchResult } from './stages/privacy-deletes';
import { runProfileApiLoad, type ProfileApiLoadResult } from './stages/profile-api-load';
import type { PopulationSpace } from './stages/pipeline-run';
import { createRedis } from '../services/common/redis/redis-client';

const RESULTS_DIR = path.join(repoRoot, 'bench', 'results');
const LARGE_SIZES = [10_000, 100_000, 1_000_000, 5_000_000];

interface Options {
  sizes: number[];
  main: number;
  seed: number;
  rate: number;
  seconds: number;
  collector: boolean;
  e2e: boolean;
  sinkMax: number;
  /** Rows of the generated CSV `cdp import` sends; 0 skips the import stage. */
  importRows: number;
  segments: boolean;
  /** Deliveries of the batch_size 1 run (five times as many with batch_size 100); 0 skips activation. */
  activationDeliveries: number;
  /** Profiles waiting on journey timers, due over `journeySpread` seconds; 0 skips journeys. */
  journeyProfiles: number;
  journeySpread: number;
  /** Offered lookups/s and seconds per route of the profile API run; 0 seconds skips it. */
  apiRate: number;
  apiSeconds: number;
  /** Delete requests sent at once on the main population; 0 skips privacy. */
  privacySubjects: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      sizes: { type: 'string' },
      large: { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '30' },
      'no-collector': { type: 'boolean', default: false },
      'no-e2e': { type: 'boolean', default: false },
      'sink-max': { type: 'string', default: '1000000' },
      'import-rows': { type: 'string', default: '1000000' },
      'no-import': { type: 'boolean', default: false },
      'no-segments': { type: 'boolean', default: false },
      'activation-deliveries': { type: 'string', default: '20000' },
      'no-activation': { type: 'boolean', default: false },
      'journey-profiles': { type: 'string', default: '100000' },
      'journey-spread': { type: 'string', default: '60' },
      'no-journeys': { type: 'boolean', default: false },
      'api-rate': { type: 'string', default: '2000' },
      'api-seconds': { type: 'string', default: '20' },
      'no-profile-api': { type: 'boolean', default: false },
      'privacy-subjects': { type: 'string', default: '100' },
      'no-privacy': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, value: string, min: number, max: number) => {
    const n = Number(value.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}`);
    return n;
  };
  const main =
    values.events !== undefined
      ? int('events', values.events, 1000, 50_000_000)
      : values.large
        ? 1_000_000
        : 100_000;
  const sizes = values.sizes
    ? values.sizes.split(',').map((s) => int('sizes', s.trim(), 1000, 50_000_000))
    : values.large
      ? LARGE_SIZES
      : [10_000, main];
  if (!sizes.includes(main)) sizes.push(main);
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    main,
    seed: int('seed', values.seed, 0, 2 ** 31 - 1),
    rate: int('rate', values.rate, 1, 100_000),
    seconds: int('seconds', values.seconds, 1, 3600),
    collector: !values['no-collector'],
    e2e: !values['no-e2e'],
    sinkMax: int('sink-max', values['sink-max'], 0, 50_000_000),
    importRows: values['no-import'] ? 0 : int('import-rows', values['import-rows'], 1000, 50_000_000),
    segments: !values['no-segments'],
    activationDeliveries: values['no-activation']
      ? 0
      : int('activation-deliveries', values['activation-deliveries'], 100, 10_000_000),
    journeyProfiles: values['no-journeys']
      ? 0
      : int('journey-profiles', values['journey-profiles'], 100, 10_000_000),
    journeySpread: int('journey-spread', values['journey-spread'], 1, 3600),
    apiRate: int('api-rate', values['api-rate'], 1, 100_000),
    apiSeconds: values['no-profile-api'] ? 0 : int('api-seconds', values['api-seconds'], 1, 3600),
    privacySubjects: values['no-privacy']
      ? 0
      : int('privacy-subjects', values['privacy-subjects'], 1, 100_000),
  };
}

interface CollectorRun {
  batchSize: number;
  concurrency: number;
  requestsPerSecond: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p99: number };
}

/** Runs bench/collector.sh (its own collector process) and reads back the lines it appended. */
function runCollectorBench(): CollectorRun[] {
  const file = path.join(RESULTS_DIR, 'collector-bench.ndjson');
  const before = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
  const result = spawnSync(path.join(repoRoot, 'bench', 'collector.sh'), {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0)
    throw new Error(`bench/collector.sh exited with ${result.status ?? result.signal}`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(before)
    .map((line) => JSON.parse(line) as CollectorRun);
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function summarize(
  main: PipelineRunResult,
  e2e: E2eLatencyResult | null,
  collector: CollectorRun[],
  importRate: ImportRateResult | null,
): BenchSummary {
  const ratio = main.passThrough.perSecond === 0 ? 0 : main.resolver.perSecond / main.passThrough.perSecond;
  const largestBatch = [...collector].sort((a, b) => b.batchSize - a.batchSize)[0];
  return {
    events: main.events,
    resolver_events_per_s: main.resolver.perSecond,
    passthrough_events_per_s: main.passThrough.perSecond,
    resolver_to_passthrough: Math.round(ratio * 100) / 100,
    sink_events_per_s: main.sink?.eventsPerSecond ?? null,
    collector_events_per_s: largestBatch?.eventsPerSecond ?? null,
    e2e_rate: e2e?.target_rate ?? null,
    e2e_events_per_s: e2e?.visible_events_per_s ?? null,
    e2e_p50_ms: e2e?.p50_ms ?? null,
    e2e_p95_ms: e2e?.p95_ms ?? null,
    e2e_p99_ms: e2e?.p99_ms ?? null,
    redis_bytes_per_identifier: main.redis.bytesPerIdentifier,
    redis_graph_bytes_per_identifier: main.redis.graphBytesPerIdentifier,
    redis_bytes_per_profile: main.redis.bytesPerProfile,
    redis_dedupe_bytes_per_event: main.redis.dedupeBytesPerEvent,
    redis_commands_per_event: main.redis.commandsPerEvent,
    redis_round_trips_per_event: main.redis.roundTripsPerEvent,
    precision: main.accuracy.precision,
    recall: main.accuracy.recall,
    f1: main.accuracy.f1,
    false_merge_pairs: main.accuracy.falseMergePairs,
    missed_link_pairs: main.accuracy.missedLinkPairs,
    import_rows_per_s: importRate?.rows_per_s ?? null,
  };
}

/** The profile API and privacy stages work on the main size's population, kept until they ran. */
const keepsPopulation = (o: Options) => o.apiSeconds > 0 || o.privacySubjects > 0;

async function runSizes(config: Config, options: Options): Promise<Map<number, PipelineRunResult>> {
  const logger = createLogger('bench');
  const results = new Map<number, PipelineRunResult>();
  for (const size of options.sizes) {
    process.stderr.write(`bench: --- population of ~${size.toLocaleString('en-US')} events ---\n`);
    results.set(
      size,
      await runPipeline(config, logger, {
        events: size,
        seed: options.seed,
        sink: size <= options.sinkMax,
        truthFile: path.join(RESULTS_DIR, `truth-${size}.ndjson`),
        timeoutSeconds: Math.max(900, Math.ceil(size / 300)),
        keep: size === options.main && keepsPopulation(options),
      }),
    );
  }
  return results;
}

interface CapabilityResults {
  activation: ActivationBenchResult | null;
  journeys: JourneyTimersResult | null;
  profileApi: (ProfileApiLoadResult & { identifiers: number; profiles: number }) | null;
  privacy: PrivacyBenchResult | null;
}

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** Activation, journeys, profile API and privacy, in that order (privacy deletes from the population). */
async function runCapabilityStages(
  config: Config,
  options: Options,
  space: PopulationSpace | undefined,
  people: number,
): Promise<CapabilityResults> {
  const out: CapabilityResults = { activation: null, journeys: null, profileApi: null, privacy: null };
  if (options.activationDeliveries > 0) {
    progress(`--- activation, ${options.activationDeliveries.toLocaleString('en-US')} deliveries a run ---`);
    out.activation = await runActivationBench(
      config,
      { deliveries: options.activationDeliveries, rate: 200, seconds: 20 },
      (line) => progress(`activation: ${line}`),
    );
  }
  if (options.journeyProfiles > 0) {
    progress(
      `--- journeys, ${options.journeyProfiles.toLocaleString('en-US')} profiles on timers due over ${options.journeySpread} s ---`,
    );
    out.journeys = await runJourneyTimersBench(
      config,
      { profiles: options.journeyProfiles, spreadSeconds: options.journeySpread },
      (line) => progress(`journeys: ${line}`),
    );
  }
  if (!space) return out;
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-bench-population');
  let index: Map<string, string>;
  try {
    index = await readIdentifierIndex(redis, space.tenant);
  } finally {
    redis.disconnect();
  }
  if (options.apiSeconds > 0) {
    const targets = lookupTargets(index, 10_000);
    progress(
      `--- profile API, ${options.apiRate} lookups/s for ${options.apiSeconds} s over ${targets.identifiers.length} identifiers of the main population, then the events route ---`,
    );
    const load = await runProfileApiLoad(config, {
      tenant: space.tenant,
      ...targets,
      rate: options.apiRate,
      seconds: options.apiSeconds,
      database: space.database,
      privacyTopics: space.privacyTopics,
    });
    out.profileApi = {
      ...load,
      identifiers: targets.identifiers.length,
      profiles: targets.profileIds.length,
    };
  }
  if (options.privacySubjects > 0) {
    const identifiers = distinctSubjects(index, 'email', options.privacySubjects);
    progress(
      `--- privacy, ${identifiers.length} delete requests at once on the main population, beside a neighbour tenant's resolver throughput ---`,
    );
    out.privacy = await measureDeletesBesideNeighbour(
      config,
      {
        tenant: space.tenant,
        database: space.database,
        requests: space.privacyTopics.requests,
        receipts: space.privacyTopics.receipts,
        profiles: space.topics.outputs.profiles,
        dlq: space.topics.dlq,
        retained: [space.topics.input, ...Object.values(space.topics.outputs), space.topics.dlq].filter(
          (t) => t !== space.topics.outputs.profiles,
        ),
        identifiers,
        people,
        groupPrefix: `${space.tenant}-`,
      },
      space.topics,
      (line) => progress(`privacy: ${line}`),
    );
  }
  return out;
}

function printCapabilityTables(c: CapabilityResults, options: Options): void {
  const table = (title: string, rows: string[][]) =>
    console.log(`\n${title}\n${formatTable(SUMMARY_HEADER, rows)}`);
  if (c.activation) table('activation', activationRows(c.activation));
  if (c.journeys) table('journeys', journeyRows(c.journeys, options.journeySpread));
  if (c.profileApi) table('profile API', profileApiRows(c.profileApi));
  if (c.privacy) table('privacy', privacyRows(c.privacy));
}

async function main(): Promise<void> {
  const options = readOptions();
  const config = loadConfig();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const started = new Date();
  const collector = options.collector ? runCollectorBench() : [];
  const runs = await runSizes(config, options);
  const main = runs.get(options.main) as PipelineRunResult;
  try {
    await runStages(config, options, started, collector, runs, main);
  } finally {
    if (main.space && process.env.CDP_BENCH_KEEP !== '1') await main.space.cleanup();
  }
}

async function runStages(
  config: Config,
  options: Options,
  started: Date,
  collector: CollectorRun[],
  runs: Map<number, PipelineRunResult>,
  main: PipelineRunResult,
): Promise<void> {
  let e2e: E2eLatencyResult | null = null;
  if (options.e2e) {
    process.stderr.write(`bench: --- end to end at ${options.rate} events/s for ${options.seconds} s ---\n`);
    e2e = await runE2eLatency(config, {
      rate: options.rate,
      seconds: options.seconds,
      batchSize: 20,
      pollMs: 100,
      timeoutSeconds: 120,
    });
  }
  let importRate: ImportRateResult | null = null;
  if (options.importRows > 0) {
    process.stderr.write(
      `bench: --- cdp import of a ${options.importRows.toLocaleString('en-US')}-row CSV ---\n`,
    );
    importRate = await runImportRateInChild(options.importRows);
    const c = importRate.machine_cpu;
    process.stderr.write(
      `bench: import: ${importRate.rows_per_s.toLocaleString('en-US')} rows/s over ${importRate.seconds} s; CPU s: the import process ${c.bench}, Kafka ${c.kafka}, ClickHouse ${c.clickhouse}, Redis ${c.redis}, other ${c.other}\n`,
    );
  }
  let segments: SegmentBenchResult | null = null;
  if (options.segments) {
    process.stderr.write(`bench: --- segment engine, 20 segments and 10 computed traits ---\n`);
    segments = await runSegmentBench(config, createLogger('bench'), {
      events: options.main,
      seed: options.seed,
      rate: options.rate,
      seconds: options.seconds,
      truthFile: path.join(RESULTS_DIR, `segment-truth-${options.main}.ndjson`),
      timeoutSeconds: Math.max(900, Math.ceil(options.main / 300)),
    });
  }
  const capabilities = await runCapabilityStages(config, options, main.space, main.population.people);
  const summary = summarize(main, e2e, collector, importRate);
  const growth = [...runs.values()].map((r) => ({
    events: r.events,
    resolver_events_per_s: r.resolver.perSecond,
    passthrough_events_per_s: r.passThrough.perSecond,
    sink_events_per_s: r.sink?.eventsPerSecond ?? null,
    identifiers: r.redis.identifiers,
    profiles: r.redis.profiles,
    redis_bytes_per_identifier: r.redis.bytesPerIdentifier,
    redis_graph_bytes_per_identifier: r.redis.graphBytesPerIdentifier,
    precision: r.accuracy.precision,
    recall: r.accuracy.recall,
  }));
  const latest = {
    ...summary,
    at: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    commit: gitCommit(),
    seed: options.seed,
    machine: {
      cpus: os.cpus().length,
      load_average_at_end: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
    targets: TARGETS,
    population: main.population,
    stages: {
      pass_through: main.passThrough,
      resolver: main.resolver,
      sink: main.sink,
      collector,
      e2e,
      import: importRate,
      activation: capabilities.activation,
      journeys: capabilities.journeys,
      profile_api: capabilities.profileApi,
      privacy: capabilities.privacy,
    },
    redis: main.redis,
    accuracy: main.accuracy,
    growth,
    segments,
  };
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
  appendFileSync(path.join(RESULTS_DIR, 'history.ndjson'), `${JSON.stringify(latest)}\n`);
  let plot = '';
  if (growth.length > 1) {
    plot = path.join(RESULTS_DIR, 'cost-growth.png');
    await renderCostPlot(growth, plot);
  }

  const growthRows = growth.map((g) => [
    g.events.toLocaleString('en-US'),
    g.passthrough_events_per_s.toLocaleString('en-US'),
    g.resolver_events_per_s.toLocaleString('en-US'),
    g.identifiers.toLocaleString('en-US'),
    String(g.redis_bytes_per_identifier),
    String(g.redis_graph_bytes_per_identifier),
  ]);
  const growthHeader = [
    'events',
    'pass-through/s',
    'resolver/s',
    'identifiers',
    'B/identifier',
    'graph B/id',
  ];
  console.log(
    `\nbench ${latest.at} (${latest.seconds} s, commit ${latest.commit ?? 'unknown'}, ${os.cpus().length} cpus, load ${latest.machine.load_average_at_end.join(' ')})`,
  );
  console.log(formatTable(SUMMARY_HEADER, summaryRows(summary)));
  if (segments) console.log(`\nsegments\n${formatTable(SUMMARY_HEADER, segmentBenchRows(segments))}`);
  printCapabilityTables(capabilities, options);
  console.log(`\ncost growth\n${formatTable(growthHeader, growthRows)}`);
  const examples = main.accuracy;
  if (examples.falseMergeExamples.length > 0)
    console.log(`\nfalse merges, e.g.: ${JSON.stringify(examples.falseMergeExamples.slice(0, 3))}`);
  if (examples.missedLinkExamples.length > 0)
    console.log(`missed links, e.g.: ${JSON.stringify(examples.missedLinkExamples.slice(0, 3))}`);
  console.log(`\nwritten: bench/results/latest.json${plot ? ', bench/results/cost-growth.png' : ''}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
