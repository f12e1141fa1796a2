// Does erasing one tenant's people slow down everyone else? A second ("neighbour") tenant's events
// go through the identity resolver while the privacy deletes run, and without them, and the two
// rates are compared (target: during / without >= 0.90).
//
// Method. One resolver, in a process of its own (resolver-child.ts), serves both tenants on the
// population's raw topic and outputs with the same Redis as the deletes: one deployment shared
// between tenants, as in production. Its consumer group starts at the end of the raw topic, so it
// resolves only the neighbour's events. A warm-up window (JIT, Lua scripts, group joined) sizes the
// windows to about five seconds each, and at least 9,000 events (shorter ones measured one or two
// seconds between first and last commit: too few commits to be steady); every window then publishes the same number of events of the
// same shape (fresh people: an anonymous track, an identify with userId and email, a second device's
// identify, so every person is one new profile and two merges), encoded up front, at once, and waits
// until the resolver committed them all. Windows run back to back:
//   before:  three, nothing else running;
//   during:  from right after the delete requests are sent until the last receipt;
//   after:   three, once every receipt is in.
// A window's rate is the neighbour's events committed by the resolver's group per second between its
// first and its last commit (as measureDrain: group join and first fetch are not counted); a during
// window counts only commits up to the last receipt, so a drain that outlasts the deletes is not
// credited with the quiet tail. A phase's rate is its windows' events over their seconds taken
// together (time-weighted: with equal event counts a slow window lasts longer, and a median of
// window rates would under-count the slowed seconds); ratio = during / before and after together.
// Short windows, repeated, because the machine and Redis are shared with other work whose load comes
// and goes; the slowest during window is reported beside it.
// Beside the rates, figures contention moves less: the resolver process's CPU per event, and Redis
// CPU and time in SCAN per wall second over each phase (server-wide: other clients count too).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import type { Config } from '../../services/common/config';
import { createEventProducer, type PublishableEvent } from '../../services/common/events/event-producer';
import { createKafka, type Kafka } from '../../services/common/kafka/kafka-client';
import { createProducer, type OutgoingMessage } from '../../services/common/kafka/producer';
import { deletePrivateGroups } from '../../services/common/kafka/private-readers';
import { deleteKeysMatching } from '../../services/common/redis/delete-keys';
import { createRedis, type Redis } from '../../services/common/redis/redis-client';
import { tenantPrefix } from '../../services/identity-resolver/redis-keys';
import type { resolverBenchTopics } from '../resolver-topics';
import { cpuBetween, cpuSnapshot, type CpuSpent } from './process-cpu';
import type { ResolverChildSpec } from './resolver-child';

export interface NeighbourWindow {
  label: 'before' | 'during' | 'after';
  /** Events published in the window. */
  events: number;
  /** Events committed between the window's first commit and the end of its measured span. */
  measuredEvents: number;
  seconds: number;
  perSecond: number;
  /** Resolver process CPU (user + system) per event over the whole window. */
  cpuUsPerEvent: number;
  /** Wall seconds of the whole window (publish to last commit), the span the Redis figures cover. */
  wallSeconds: number;
  /** Redis server CPU (user + system) over the whole window, every client's. */
  redisCpuSeconds: number;
  /** SCAN calls over the whole window (server-wide): each walks up to 1,000 keys of every tenant. */
  redisScans: number;
  /** Time Redis spent executing those SCANs (INFO commandstats usec). */
  redisScanSeconds: number;
  /** Redis commands over the whole window (server-wide), the most frequent first. */
  redisCommands: Record<string, number>;
  /** CPU seconds over the whole window, per process (process-cpu.ts) and of the resolver child. */
  cpuSeconds?: WindowCpu;
}

/** Where the CPU went: seconds per process, `machine` all cores together, `other` the rest of it. */
export interface WindowCpu extends CpuSpent {
  resolver: number;
  other: number;
}

/** The windows of one phase (before, during or after the deletes) taken together. */
export interface NeighbourPhase {
  label: NeighbourWindow['label'];
  windows: number;
  /** Events over seconds of all the phase's windows taken together (time-weighted). */
  perSecond: number;
  /** The slowest window's rate. */
  slowestPerSecond: number;
  /** Mean of the windows' resolver CPU per event. */
  cpuUsPerEvent: number;
  /** Redis CPU seconds per wall second over the phase's windows (1 = one core busy). */
  redisCpuShare: number;
  /** Seconds Redis spent in SCAN per wall second over the phase's windows. */
  redisScanShare: number;
  redisScans: number;
  /**
   * CPU seconds per wall second over the phase's windows, per process (1 = one core busy). `bench`
   * is the bench process: the load driver in every phase, the privacy service too while it runs.
   */
  cpuShare?: WindowCpu;
}

export interface NeighbourResult {
  tenant: string;
  eventsPerWindow: number;
  windows: NeighbourWindow[];
  phases: NeighbourPhase[];
  /** Rate of the before and after windows taken together. */
  baselinePerSecond: number;
  /** Rate of the windows run while the deletes ran, taken together (up to the last receipt). */
  duringPerSecond: number;
  /** during / baseline. */
  ratio: number;
  /**
   * The resolver's CPU per event during the deletes over before and after (windows pooled): above 1
   * when the deletes make its work dearer (Redis round trips slower, cache misses), not just wait.
   */
  cpuPerEventRatio?: number;
}

interface Sample {
  at: number;
  done: number;
}

interface WindowRun {
  label: NeighbourWindow['label'];
  events: number;
  samples: Sample[];
  cpuUs: number;
  wallSeconds: number;
  redisCpuSeconds: number;
  redisScans: number;
  redisScanSeconds: number;
  redisCommands: Record<string, number>;
  cpuSeconds: WindowCpu;
}

/** Committed records per second between the first commit and the last sample at or before `until`. */
export function rateOf(samples: readonly Sample[], until = Infinity): { events: number; seconds: number } {
  const first = samples.find((s) => s.done > 0);
  const within = samples.filter((s) => s.at <= until);
  const last = within[within.length - 1];
  if (first === undefined || last === undefined || last.at <= first.at) return { events: 0, seconds: 0 };
  return { events: last.done - first.done, seconds: (last.at - first.at) / 1000 };
}

const perSecondOf = (samples: readonly Sample[], until = Infinity): number => {
  const r = rateOf(samples, until);
  return r.seconds > 0 ? Math.round(r.events / r.seconds) : NaN;
};

function figuresOf(w: WindowRun, until: number): NeighbourWindow {
  const r = rateOf(w.samples, until);
  return {
    label: w.label,
    events: w.events,
    measuredEvents: r.events,
    seconds: r.seconds,
    perSecond: perSecondOf(w.samples, until),
    cpuUsPerEvent: Math.round((w.cpuUs / w.events) * 10) / 10,
    wallSeconds: w.wallSeconds,
    redisCpuSeconds: w.redisCpuSeconds,
    redisScans: w.redisScans,
    redisScanSeconds: w.redisScanSeconds,
    redisCommands: w.redisCommands,
    cpuSeconds: w.cpuSeconds,
  };
}

/**
 * Events per second over the windows taken together. Not a median of their rates: windows hold
 * the same number of events, so a slow one lasts longer, and a median would count the seconds the
 * neighbour was slowed less than the seconds it was not.
 */
export function pooled(windows: readonly NeighbourWindow[]): number {
  const seconds = windows.reduce((n, w) => n + w.seconds, 0);
  return seconds > 0 ? Math.round(windows.reduce((n, w) => n + w.measuredEvents, 0) / seconds) : NaN;
}

export function phaseOf(
  label: NeighbourWindow['label'],
  windows: readonly NeighbourWindow[],
): NeighbourPhase {
  const wall = windows.reduce((n, w) => n + w.wallSeconds, 0);
  const share = (pick: (w: NeighbourWindow) => number) =>
    wall > 0 ? Math.round((windows.reduce((n, w) => n + pick(w), 0) / wall) * 100) / 100 : NaN;
  return {
    label,
    windows: windows.length,
    perSecond: pooled(windows),
    slowestPerSecond: windows.length > 0 ? Math.min(...windows.map((w) => w.perSecond)) : NaN,
    cpuUsPerEvent:
      windows.length > 0
        ? Math.round((windows.reduce((n, w) => n + w.cpuUsPerEvent, 0) / windows.length) * 10) / 10
        : NaN,
    redisCpuShare: share((w) => w.redisCpuSeconds),
    redisScanShare: share((w) => w.redisScanSeconds),
    redisScans: windows.reduce((n, w) => n + w.redisScans, 0),
    cpuShare: windows.every((w) => w.cpuSeconds !== undefined)
      ? (Object.fromEntries(
          CPU_NAMES.map((name) => [name, share((w) => w.cpuSeconds![name])]),
        ) as unknown as WindowCpu)
      : undefined,
  };
}

/** The resolver's CPU microseconds per event over the windows taken together. */
const cpuPerEvent = (runs: readonly WindowRun[]): number =>
  runs.reduce((n, w) => n + w.cpuUs, 0) / runs.reduce((n, w) => n + w.events, 0);

const CPU_NAMES = ['resolver', 'bench', 'clickhouse', 'redis', 'kafka', 'other', 'machine'] as const;

async function redisCpuAndCalls(
  redis: Redis,
): Promise<{ cpu: number; calls: Map<string, number>; usec: Map<string, number> }> {
  const cpu = await redis.info('cpu');
  const num = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(cpu)?.[1] ?? NaN);
  const stats = await redis.info('commandstats');
  const calls = new Map<string, number>();
  const usec = new Map<string, number>();
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    calls.set(m[1] as string, Number(m[2]));
    usec.set(m[1] as string, Number(m[3]));
  }
  return { cpu: num('used_cpu_user') + num('used_cpu_sys'), calls, usec };
}

function callsBetween(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out = [...after]
    .map(([name, n]) => [name, n - (before.get(name) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12);
  return Object.fromEntries(out);
}

/** A resolver child process and a line-based way to ask it for its CPU time. */
async function spawnResolver(spec: ResolverChildSpec) {
  const child: ChildProcess = spawn(
    process.execPath,
    __filename.endsWith('.ts')
      ? ['--import', 'tsx', path.join(__dirname, 'resolver-child.ts'), JSON.stringify(spec)]
      : [path.join(__dirname, 'resolver-child.js'), JSON.stringify(spec)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.resolve(line));
  // One listener for the process's life (one per question would pile up past Node's warning limit).
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`resolver child exited with ${String(code)}`));
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null)
        reject(new Error(`resolver child exited with ${String(child.exitCode ?? child.signalCode)}`));
      else waiting.push({ resolve, reject });
    });
  const ready = await next();
  if (ready !== 'ready') throw new Error(`resolver child said ${JSON.stringify(ready)} instead of ready`);
  return {
    async cpuUs(): Promise<number> {
      const answer = next();
      child.stdin!.write('cpu\n');
      const { userUs, systemUs } = JSON.parse(await answer) as { userUs: number; systemUs: number };
      return userUs + systemUs;
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Three events per fresh person: one new profile, two merges (the privacy bench population's shape). */
function people(tenant: string, from: number, count: number): PublishableEvent[] {
  const events: PublishableEvent[] = [];
  for (let i = from; i < from + count; i++) {
    events.push(
      { tenant, messageId: `n${i}-1`, type: 'track', event: 'Viewed', anonymousId: `phone-${i}` },
      {
        tenant,
        messageId: `n${i}-2`,
        type: 'identify',
        anonymousId: `phone-${i}`,
        userId: `u-${i}`,
        traits: { email: `n${i}@example.com` },
      },
      { tenant, messageId: `n${i}-3`, type: 'identify', anonymousId: `laptop-${i}`, userId: `u-${i}` },
    );
  }
  return events;
}

export interface NeighbourSpace {
  /** The population's tenant (whose people are deleted); the resolver serves it too. */
  tenant: string;
  topics: ReturnType<typeof resolverBenchTopics>;
  /** Prefix of the consumer group ids of this run. */
  groupPrefix: string;
}

export interface NeighbourOptions {
  /** Seconds a window should last at the warm-up's rate. */
  windowSeconds?: number;
  /** Windows before and after the deletes. */
  quietWindows?: number;
  /** Windows encoded for the deletes' duration (more are not run). */
  maxDuringWindows?: number;
  warmupEvents?: number;
  progress?: (line: string) => void;
}

/**
 * Runs `deletes` between the neighbour's before and after windows. It must call `alongside` right
 * after sending its requests, with a promise of its last receipt (the during windows run until
 * then), await it, and report when the last receipt arrived.
 */
export async function measureNeighbourThroughput<T extends { lastReceiptAt: number }>(
  config: Config,
  space: NeighbourSpace,
  deletes: (alongside: (receiptsIn: Promise<void>) => Promise<void>) => Promise<T>,
  options: NeighbourOptions = {},
): Promise<{ deletes: T; neighbour: NeighbourResult }> {
  const say = options.progress ?? (() => undefined);
  const neighbour = `${space.tenant}-neighbour`;
  const groupId = `${space.groupPrefix}neighbour-resolver`;
  const kafka: Kafka = createKafka(config, `${space.groupPrefix}neighbour`, { quiet: true });
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-bench-neighbour');
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const admin = kafka.admin();
  await admin.connect();
  const producer = await createProducer(kafka);
  let resolver: Awaited<ReturnType<typeof spawnResolver>> | undefined;
  try {
    // Start at the end of the raw topic: the population is resolved already.
    const ends = await admin.fetchTopicOffsets(space.topics.input);
    await admin.setOffsets({
      groupId,
      topic: space.topics.input,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
    const committed = async () => {
      let n = 0;
      for (const t of await admin.fetchOffsets({ groupId, topics: [space.topics.input] }))
        for (const p of t.partitions) n += Math.max(0, Number(p.offset));
      return n;
    };
    resolver = await spawnResolver({
      input: space.topics.input,
      dlq: space.topics.dlq,
      outputs: space.topics.outputs,
      groupId,
      tenants: {
        tenants: [
          { id: space.tenant, writeKeys: [`${space.tenant}-write-key`] },
          { id: neighbour, writeKeys: [`${neighbour}-write-key`] },
        ],
      },
    });
    const child = resolver;

    let person = 0;
    /** Encoded up front, so a window's publish is one send of ready bytes. */
    const encode = async (events: number): Promise<OutgoingMessage[]> => {
      const out: OutgoingMessage[] = [];
      const capture = createEventProducer({
        codec,
        producer: { send: async (m) => void out.push(...m) },
        topic: space.topics.input,
      });
      const count = Math.ceil(events / 3);
      for (let k = 0; k < count; k += 1000)
        await capture.publish(people(neighbour, person + k, Math.min(1000, count - k)));
      person += count;
      return out;
    };
    const run = async (label: WindowRun['label'], messages: OutgoingMessage[]): Promise<WindowRun> => {
      const start = await committed();
      const cpu0 = await child.cpuUs();
      const redis0 = await redisCpuAndCalls(redis);
      const procs0 = cpuSnapshot();
      const samples: Sample[] = [{ at: Date.now(), done: 0 }];
      const began = samples[0]!.at;
      const sending = producer.send(messages);
      const deadline = Date.now() + 600_000;
      for (;;) {
        await new Promise((r) => setTimeout(r, 100));
        const done = (await committed()) - start;
        samples.push({ at: Date.now(), done });
        if (done >= messages.length) break;
        if (Date.now() > deadline)
          throw new Error(`neighbour ${label}: ${done} of ${messages.length} events resolved after 600 s`);
      }
      await sending;
      const cpu1 = await child.cpuUs();
      const redis1 = await redisCpuAndCalls(redis);
      const spent = cpuBetween(procs0, cpuSnapshot());
      const resolverSeconds = Math.round((cpu1 - cpu0) / 1e4) / 100;
      const known = resolverSeconds + spent.bench + spent.clickhouse + spent.redis + spent.kafka;
      return {
        label,
        events: messages.length,
        samples,
        cpuUs: cpu1 - cpu0,
        wallSeconds: (Date.now() - began) / 1000,
        redisCpuSeconds: Math.round((redis1.cpu - redis0.cpu) * 100) / 100,
        redisScanSeconds: ((redis1.usec.get('scan') ?? 0) - (redis0.usec.get('scan') ?? 0)) / 1e6,
        redisCommands: callsBetween(redis0.calls, redis1.calls),
        redisScans: (redis1.calls.get('scan') ?? 0) - (redis0.calls.get('scan') ?? 0),
        cpuSeconds: {
          ...spent,
          resolver: resolverSeconds,
          other: Math.round((spent.machine - known) * 100) / 100,
        },
      };
    };

    const warm = await run('before', await encode(options.warmupEvents ?? 6_000));
    const warmRate = rateOf(warm.samples);
    const warmPerSecond = warmRate.events / Math.max(warmRate.seconds, 0.1);
    const perWindow =
      3 * Math.round(Math.min(60_000, Math.max(9_000, warmPerSecond * (options.windowSeconds ?? 5))) / 3);
    const quiet = options.quietWindows ?? 3;
    const most = options.maxDuringWindows ?? 12;
    say(
      `neighbour tenant ${neighbour}: one resolver process serves it and the deleted tenant on the population's raw topic and Redis; every window publishes ${perWindow} events of fresh people (track + 2 identifies each) at once; rate = events committed/s from the window's first commit to its last (during: up to the last receipt); ${quiet} windows before, windows back to back while the deletes run (at most ${most}), ${quiet} after; ratio = events/s of the during windows together / of the before and after windows together`,
    );
    say(`neighbour tenant: warm-up at ${Math.round(warmPerSecond)} events/s`);
    const batches: OutgoingMessage[][] = [];
    for (let i = 0; i < 2 * quiet + most; i++) batches.push(await encode(perWindow));
    const runs: WindowRun[] = [];
    for (let i = 0; i < quiet; i++) runs.push(await run('before', batches.shift()!));
    say(
      `neighbour tenant: before the deletes ${runs.map((w) => perSecondOf(w.samples)).join(', ')} events/s`,
    );
    const deleted = await deletes(async (receiptsIn) => {
      let finished = false;
      void receiptsIn.then(() => (finished = true));
      while (!finished && batches.length > quiet) runs.push(await run('during', batches.shift()!));
    });
    for (let i = 0; i < quiet; i++) runs.push(await run('after', batches.shift()!));

    const windows = runs
      .map((w) => figuresOf(w, w.label === 'during' ? deleted.lastReceiptAt : Infinity))
      // A during window that began just before the last receipt measures too little to count.
      .filter((w) => w.label !== 'during' || w.seconds >= 1);
    const phases = (['before', 'during', 'after'] as const).map((label) =>
      phaseOf(
        label,
        windows.filter((w) => w.label === label),
      ),
    );
    const baseline = pooled(windows.filter((w) => w.label !== 'during'));
    const during = pooled(windows.filter((w) => w.label === 'during'));
    say(
      `neighbour tenant: ${phases.map((p) => `${p.label} ${p.perSecond} events/s (${p.windows} windows)`).join(', ')}`,
    );
    return {
      deletes: deleted,
      neighbour: {
        tenant: neighbour,
        eventsPerWindow: perWindow,
        windows,
        phases,
        baselinePerSecond: baseline,
        duringPerSecond: during,
        ratio: Math.round((during / baseline) * 1000) / 1000,
        cpuPerEventRatio:
          Math.round(
            (cpuPerEvent(runs.filter((w) => w.label === 'during')) /
              cpuPerEvent(runs.filter((w) => w.label !== 'during'))) *
              1000,
          ) / 1000,
      },
    };
  } finally {
    await resolver?.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await deletePrivateGroups(kafka, [groupId]).catch(() => undefined);
    await deleteKeysMatching(redis, `${tenantPrefix(neighbour)}:*`).catch(() => undefined);
    redis.disconnect();
  }
}
