// Does erasing one tenant's people slow down everyone else? A second ("neighbour") tenant's events
// go through the identity resolver while the privacy deletes run, and without them, and the two
// rates are compared (target: during / without >= 0.90).
//
// Method. One resolver, in a process of its own (resolver-child.ts), serves both tenants on the
// population's raw topic and outputs with the same Redis as the deletes: one deployment shared
// between tenants, as in production. Its consumer group starts at the end of the raw topic, so it
// resolves only the neighbour's events. After a warm-up window (JIT, Lua scripts, group joined) that
// also sizes the windows to about ten seconds each, three windows of the same number of events of
// the same shape (fresh people: an anonymous track, an identify with userId and email, a second
// device's identify, so every person is one new profile and two merges) are each published at once,
// encoded up front, and drained:
//   before:  nothing else runs;
//   during:  published right after the delete requests are sent;
//   after:   once every receipt is in.
// A window's rate is the neighbour's events committed by the resolver's group per second between its
// first and its last commit (as measureDrain: group join and first fetch are not counted). The
// during window counts only commits up to the last receipt, so a drain that outlasts the deletes is
// not credited with the quiet tail; `overlap` says which share of its events were resolved while the
// deletes ran. The baseline is the mean of before and after (their spread shows the noise).
// Beside the rates, figures contention moves less: the resolver process's CPU per event and the
// Redis server's CPU and command counts over each window (server-wide: other clients count too).
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
  /** Redis server CPU (user + system) over the whole window, every client's. */
  redisCpuSeconds: number;
  /** Redis commands over the whole window (server-wide), the most frequent first. */
  redisCommands: Record<string, number>;
  /** SCAN calls over the whole window (server-wide): each walks up to 1,000 keys of every tenant. */
  redisScans: number;
}

export interface NeighbourResult {
  tenant: string;
  eventsPerWindow: number;
  windows: NeighbourWindow[];
  /** Mean of the before and after rates. */
  baselinePerSecond: number;
  duringPerSecond: number;
  /** during / baseline. */
  ratio: number;
  /** Share of the during window's events resolved before the last receipt arrived. */
  overlap: number;
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
  redisCpuSeconds: number;
  redisCommands: Record<string, number>;
  redisScans: number;
}

/** Committed records per second between the first commit and the last sample at or before `until`. */
export function rateOf(samples: readonly Sample[], until = Infinity): { events: number; seconds: number } {
  const first = samples.find((s) => s.done > 0);
  const within = samples.filter((s) => s.at <= until);
  const last = within[within.length - 1];
  if (first === undefined || last === undefined || last.at <= first.at) return { events: 0, seconds: 0 };
  return { events: last.done - first.done, seconds: (last.at - first.at) / 1000 };
}

async function redisCpuAndCalls(redis: Redis): Promise<{ cpu: number; calls: Map<string, number> }> {
  const cpu = await redis.info('cpu');
  const num = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(cpu)?.[1] ?? NaN);
  const stats = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1] as string, Number(m[2]));
  return { cpu: num('used_cpu_user') + num('used_cpu_sys'), calls };
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
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  const next = () =>
    new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      child.once('exit', (code) => reject(new Error(`resolver child exited with ${String(code)}`)));
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
  warmupEvents?: number;
  progress?: (line: string) => void;
}

/**
 * Runs `deletes` (it must call the `alongside` it is given right after sending its requests and
 * report when its last receipt arrived) between a before and an after window of the neighbour.
 */
export async function measureNeighbourThroughput<T extends { lastReceiptAt: number }>(
  config: Config,
  space: NeighbourSpace,
  deletes: (alongside: () => Promise<void>) => Promise<T>,
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
      const samples: Sample[] = [{ at: Date.now(), done: 0 }];
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
      return {
        label,
        events: messages.length,
        samples,
        cpuUs: cpu1 - cpu0,
        redisCpuSeconds: Math.round((redis1.cpu - redis0.cpu) * 100) / 100,
        redisCommands: callsBetween(redis0.calls, redis1.calls),
        redisScans: (redis1.calls.get('scan') ?? 0) - (redis0.calls.get('scan') ?? 0),
      };
    };

    const warm = await run('before', await encode(options.warmupEvents ?? 15_000));
    const warmRate = rateOf(warm.samples);
    const perWindow =
      3 *
      Math.round(
        Math.min(
          120_000,
          Math.max(
            15_000,
            (warmRate.events / Math.max(warmRate.seconds, 0.1)) * (options.windowSeconds ?? 10),
          ),
        ) / 3,
      );
    say(
      `neighbour tenant ${neighbour}: one resolver process serves it and the deleted tenant on the population's raw topic and Redis; each window publishes the same number of fresh people's events (track + 2 identifies each) at once; rate = events committed/s from the window's first commit to its last (during: to the last receipt); baseline = mean(before, after)`,
    );
    say(
      `neighbour tenant: warm-up at ${Math.round(warmRate.events / Math.max(warmRate.seconds, 0.1))} events/s; three windows of ${perWindow} events`,
    );
    const batches = [await encode(perWindow), await encode(perWindow), await encode(perWindow)];
    const before = await run('before', batches[0]!);
    say(
      `neighbour tenant: before the deletes ${Math.round(rateOf(before.samples).events / rateOf(before.samples).seconds)} events/s`,
    );
    const beside: { during?: WindowRun } = {};
    const deleted = await deletes(async () => {
      beside.during = await run('during', batches[1]!);
    });
    const during = beside.during;
    if (during === undefined) throw new Error('the deletes did not run the neighbour window beside them');
    const after = await run('after', batches[2]!);

    const figures = (w: WindowRun, until?: number): NeighbourWindow => {
      const r = rateOf(w.samples, until);
      return {
        label: w.label,
        events: w.events,
        measuredEvents: r.events,
        seconds: r.seconds,
        perSecond: r.seconds > 0 ? Math.round(r.events / r.seconds) : NaN,
        cpuUsPerEvent: Math.round((w.cpuUs / w.events) * 10) / 10,
        redisCpuSeconds: w.redisCpuSeconds,
        redisCommands: w.redisCommands,
        redisScans: w.redisScans,
      };
    };
    const windows = [figures(before), figures(during, deleted.lastReceiptAt), figures(after)];
    const [b, d, a] = windows as [NeighbourWindow, NeighbourWindow, NeighbourWindow];
    const baseline = (b.perSecond + a.perSecond) / 2;
    const resolvedByEnd = [...during.samples].reverse().find((s) => s.at <= deleted.lastReceiptAt)?.done ?? 0;
    return {
      deletes: deleted,
      neighbour: {
        tenant: neighbour,
        eventsPerWindow: perWindow,
        windows,
        baselinePerSecond: Math.round(baseline),
        duringPerSecond: d.perSecond,
        ratio: Math.round((d.perSecond / baseline) * 1000) / 1000,
        overlap: Math.round((resolvedByEnd / during.events) * 100) / 100,
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
