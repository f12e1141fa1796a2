// Activation bench on the running local stack (private topics, tenants and Redis keys; a webhook
// receiver in its own process): deliveries/s with batch_size 1 and 100, raw event -> webhook
// latency at a fixed offered rate (collector-less: events are published to a private raw topic,
// resolved by the identity resolver, delivered by activation), and a healthy destination's
// latency alone and while another destination of the same tenant hangs. `make bench` runs it
// (bench/bench.ts); bench/activation-bench.ts runs it alone.
import crypto from 'node:crypto';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import type { Config } from '../../services/common/config';
import { definitionMessage } from '../../services/common/definitions/definitions-topic';
import { createEventProducer } from '../../services/common/events/event-producer';
import { createKafka, type Kafka } from '../../services/common/kafka/kafka-client';
import { waitForLeaders } from '../../services/common/kafka/apply-topics';
import { createProducer, type MessageProducer } from '../../services/common/kafka/producer';
import { createLogger } from '../../services/common/logger';
import { createRedis } from '../../services/common/redis/redis-client';
import { deleteKeysMatching } from '../../services/common/redis/delete-keys';
import type { RunningService } from '../../services/common/runtime/service-definition';
import {
  segmentMembership,
  type SegmentMembershipRecord,
} from '../../services/common/streams/segment-membership';
import { tenantDirectory } from '../../services/common/tenants';
import { activation } from '../../services/activation/main';
import { startIdentityResolver } from '../../services/identity-resolver/main';
import { tenantPrefix } from '../../services/identity-resolver/redis-keys';
import { resolverBenchTopics } from '../resolver-topics';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const PROFILES = 2000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Phase {
  tenant: string;
  membershipTopic: string;
  eventsTopic: string;
  producer: MessageProducer;
  codec: AvroCodec;
  stop(): Promise<void>;
}

/** One activation instance on topics, a definitions topic, a tenant and key prefix of its own. */
async function startPhase(
  config: Config,
  kafka: Kafka,
  name: string,
  destinations: Record<string, unknown>[],
  eventsTopic?: string,
): Promise<Phase> {
  const run = `${name}-${crypto.randomBytes(3).toString('hex')}`;
  const tenant = `bench-act-${run}`;
  const topic = (what: string) => `bench.activation.${run}.${what}`;
  const inputs = {
    membership: topic('membership'),
    computed: topic('computed'),
    journeys: topic('journeys'),
    changes: topic('changes'),
    events: eventsTopic ?? topic('events'),
  };
  const outputs = { deliveries: topic('deliveries'), deadLetters: topic('dead-letters') };
  const created = [
    ...Object.values(inputs).filter((t) => t !== eventsTopic),
    ...Object.values(outputs),
    topic('dlq'),
    topic('definitions'),
  ];
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: false,
    topics: created.map((t) => ({
      topic: t,
      numPartitions: t.endsWith('definitions') ? 1 : 3,
      configEntries: [{ name: 'retention.ms', value: '3600000' }],
    })),
  });
  await waitForLeaders(admin, created);
  await admin.disconnect();

  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const producer = await createProducer(kafka);
  const messages = [];
  for (const body of destinations.concat([{ kind: 'segment', id: 'vip' }])) {
    messages.push(
      await definitionMessage(
        codec,
        {
          tenant,
          kind: String(body.kind),
          id: String(body.id),
          version: 1,
          body: JSON.stringify(body),
          updatedAt: Date.now(),
        },
        topic('definitions'),
      ),
    );
  }
  await producer.send(messages);
  const keyPrefix = `bench-${run}:`;
  const running = await activation.startWith(config, createLogger('bench-activation', 'fatal'), {
    topics: { inputs, outputs, dlq: topic('dlq') },
    groupId: `bench-activation-${run}`,
    options: {
      tenants: tenantDirectory({
        tenants: [{ id: tenant, writeKeys: [`wk-${run}`], consent_mode: 'opt_out' }],
      }),
      definitionsTopic: topic('definitions'),
      keyPrefix,
      concurrency: 16,
      pollMs: 5,
    },
  });
  return {
    tenant,
    membershipTopic: inputs.membership,
    eventsTopic: inputs.events,
    producer,
    codec,
    stop: async () => {
      await running.stop();
      await producer.disconnect();
      const redis = createRedis(config.CDP_REDIS_URL, 'bench-activation-cleanup');
      await deleteKeysMatching(redis, `${keyPrefix}*`).catch(() => undefined);
      redis.disconnect();
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: created }).catch(() => undefined);
      await a.disconnect();
    },
  };
}

function hook(id: string, url: string, batchSize = 1): Record<string, unknown> {
  return {
    kind: 'destination',
    id,
    type: 'webhook',
    url,
    secret: SECRET,
    batch_size: batchSize,
    subscribe: { segments: ['vip'] },
  };
}

function entries(phase: Phase, from: number, count: number, at: number): SegmentMembershipRecord[] {
  const out: SegmentMembershipRecord[] = [];
  for (let i = from; i < from + count; i++) {
    const profileId = `p-${i % PROFILES}`;
    const version = Math.floor(i / PROFILES) + 1;
    out.push({
      changeId: `${phase.tenant}:vip:${profileId}:${version}`,
      tenant: phase.tenant,
      segmentId: 'vip',
      profileId,
      status: version % 2 ? 'entered' : 'exited',
      version,
      segmentVersion: 1,
      changedAt: at,
    });
  }
  return out;
}

async function publishEntries(phase: Phase, records: SegmentMembershipRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 1000) {
    const chunk = records.slice(i, i + 1000);
    await phase.producer.send(
      await Promise.all(
        chunk.map(async (r) => ({
          topic: phase.membershipTopic,
          key: segmentMembership.key(r),
          value: await phase.codec.encodeRecord(segmentMembership, r, phase.membershipTopic),
        })),
      ),
    );
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function throughput(config: Config, kafka: Kafka, deliveries: number, batchSize: number) {
  const receiver = await startWebhookReceiver({ after: 'ok' });
  const phase = await startPhase(config, kafka, `tp${batchSize}`, [hook('sink', receiver.url, batchSize)]);
  try {
    const records = entries(phase, 0, Math.ceil(deliveries / 2), Date.now());
    const started = Date.now();
    await publishEntries(phase, records);
    await until('every delivery', async () => (await receiver.count()).calls >= records.length * 2, 600_000);
    const seconds = (Date.now() - started) / 1000;
    const { requests } = await receiver.count();
    return {
      batch_size: batchSize,
      deliveries: records.length * 2,
      requests,
      seconds,
      deliveries_per_s: Math.round((records.length * 2) / seconds),
    };
  } finally {
    await phase.stop();
    await receiver.stop();
  }
}

/** Open loop: `rate` records per second for `seconds`, in ticks of 100 ms; latency per call received. */
async function latencyAtRate(
  receiver: WebhookReceiver,
  send: (count: number, at: number, from: number) => Promise<void>,
  rate: number,
  seconds: number,
  expectedCalls: (sent: number) => number,
) {
  const ticks = seconds * 10;
  let sent = 0;
  const start = Date.now();
  for (let t = 0; t < ticks; t++) {
    const due = Math.round(((t + 1) * rate) / 10) - sent;
    await send(due, Date.now(), sent);
    sent += due;
    await sleep(start + (t + 1) * 100 - Date.now());
  }
  await until(
    'the calls of the run',
    async () => (await receiver.count()).calls >= expectedCalls(sent),
    300_000,
  );
  const log = await receiver.log();
  const latencies = log
    .filter((r) => r.answer === 200 && !r.duplicate)
    .map((r) => {
      const call = JSON.parse(r.body) as { timestamp: string; originalTimestamp?: string };
      return r.at - Date.parse(call.originalTimestamp ?? call.timestamp);
    })
    .sort((a, b) => a - b);
  return {
    rate,
    seconds,
    calls: latencies.length,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    max_ms: latencies.at(-1) ?? NaN,
  };
}

async function eventToWebhook(config: Config, kafka: Kafka, rate: number, seconds: number) {
  const run = crypto.randomBytes(3).toString('hex');
  const topics = resolverBenchTopics(`bench.activation-e2e.${run}`);
  const all = [topics.input, topics.dlq, ...Object.values(topics.outputs)];
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: false,
    topics: all.map((t) => ({
      topic: t,
      numPartitions: 3,
      configEntries: [{ name: 'retention.ms', value: '3600000' }],
    })),
  });
  await waitForLeaders(admin, all);
  await admin.disconnect();
  const receiver = await startWebhookReceiver({ after: 'ok' });
  const phase = await startPhase(
    config,
    kafka,
    'e2e',
    [
      {
        kind: 'destination',
        id: 'events',
        type: 'webhook',
        url: receiver.url,
        secret: SECRET,
        subscribe: { events: [{ event: 'Bench Clicked' }] },
      },
    ],
    topics.outputs.resolved,
  );
  const services: RunningService[] = [];
  try {
    services.push(
      await startIdentityResolver(config, createLogger('bench-resolver', 'fatal'), {
        input: topics.input,
        dlq: topics.dlq,
        outputs: topics.outputs,
        groupId: `bench-activation-e2e-resolver-${run}`,
        tenants: tenantDirectory({ tenants: [{ id: phase.tenant, writeKeys: [`wk-${run}`] }] }),
      }),
    );
    const events = createEventProducer({ codec: phase.codec, producer: phase.producer, topic: topics.input });
    return await latencyAtRate(
      receiver,
      async (count, at, from) => {
        if (count <= 0) return;
        await events.publish(
          Array.from({ length: count }, (_, i) => ({
            tenant: phase.tenant,
            type: 'track' as const,
            messageId: `bench-${run}-${from + i}`,
            userId: `u-${(from + i) % PROFILES}`,
            event: 'Bench Clicked',
            timestamp: new Date(at).toISOString(),
          })),
        );
      },
      rate,
      seconds,
      (sent) => sent,
    );
  } finally {
    for (const s of services.reverse()) await s.stop();
    await phase.stop();
    await receiver.stop();
    const redis = createRedis(config.CDP_REDIS_URL, 'bench-activation-cleanup');
    await deleteKeysMatching(redis, `${tenantPrefix(phase.tenant)}:*`).catch(() => undefined);
    redis.disconnect();
    const a = kafka.admin();
    await a.connect();
    await a.deleteTopics({ topics: all }).catch(() => undefined);
    await a.disconnect();
  }
}

async function healthyLatency(
  config: Config,
  kafka: Kafka,
  rate: number,
  seconds: number,
  withHanging: boolean,
) {
  const healthy = await startWebhookReceiver({ after: 'ok' });
  const stuck = withHanging ? await startWebhookReceiver({ after: 'hang' }) : undefined;
  const destinations = [hook('healthy', healthy.url)];
  if (stuck) destinations.push(hook('stuck', stuck.url));
  const phase = await startPhase(config, kafka, withHanging ? 'iso-hang' : 'iso-solo', destinations);
  try {
    return await latencyAtRate(
      healthy,
      async (count, at, from) => {
        if (count > 0) await publishEntries(phase, entries(phase, from, count, at));
      },
      rate,
      seconds,
      (sent) => sent * 2,
    );
  } finally {
    await phase.stop();
    await healthy.stop();
    await stuck?.stop();
  }
}

export interface ActivationThroughput {
  batch_size: number;
  deliveries: number;
  requests: number;
  seconds: number;
  deliveries_per_s: number;
}

export interface ActivationLatency {
  rate: number;
  seconds: number;
  calls: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface ActivationBenchResult {
  batch1: ActivationThroughput;
  batch100: ActivationThroughput;
  e2e: ActivationLatency;
  solo: ActivationLatency;
  hanging: ActivationLatency;
  isolation: { solo_p99_ms: number; with_hanging_p99_ms: number; ratio: number };
}

/** `deliveries` with batch_size 1, five times as many with batch_size 100; three latency runs. */
export async function runActivationBench(
  config: Config,
  options: { deliveries: number; rate: number; seconds: number },
  say: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<ActivationBenchResult> {
  const kafka = createKafka(config, 'bench-activation', { quiet: true });
  say(
    `activation bench: ${options.deliveries} deliveries per throughput run; ${options.rate}/s for ${options.seconds} s per latency run`,
  );
  const batch1 = await throughput(config, kafka, options.deliveries, 1);
  say(`throughput batch_size 1:   ${JSON.stringify(batch1)}`);
  const batch100 = await throughput(config, kafka, options.deliveries * 5, 100);
  say(`throughput batch_size 100: ${JSON.stringify(batch100)}`);
  const e2e = await eventToWebhook(config, kafka, options.rate, options.seconds);
  say(`event -> webhook:          ${JSON.stringify(e2e)}`);
  const solo = await healthyLatency(config, kafka, options.rate, options.seconds, false);
  say(`healthy alone:             ${JSON.stringify(solo)}`);
  const hanging = await healthyLatency(config, kafka, options.rate, options.seconds, true);
  say(`healthy beside a hang:     ${JSON.stringify(hanging)}`);
  const isolation = {
    solo_p99_ms: solo.p99_ms,
    with_hanging_p99_ms: hanging.p99_ms,
    ratio: Math.round((hanging.p99_ms / solo.p99_ms) * 100) / 100,
  };
  say(`isolation:                 ${JSON.stringify(isolation)}`);
  return { batch1, batch100, e2e, solo, hanging, isolation };
}
