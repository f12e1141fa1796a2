// Deletes per minute and request -> receipt latency (p50 / p99) of the privacy service: a population
// of `people` (two devices and a login each) goes through the resolver and the ClickHouse sink into
// a scratch space, then `subjects` delete requests are sent at once and their receipts awaited,
// while a second tenant's events go through the resolver (neighbour-throughput.ts: its rate with and
// without the deletes). `make bench` calls measureDeletesBesideNeighbour on the main run's
// population instead (bench/bench.ts).
//
//   node --import tsx bench/stages/privacy-deletes.ts [--people 100000] [--subjects 100]
import crypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { createClickHouse, type ClickHouseClient } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../services/common/clickhouse/migrator';
import { loadConfig, type Config } from '../../services/common/config';
import { createKafka } from '../../services/common/kafka/kafka-client';
import { createEventProducer } from '../../services/common/events/event-producer';
import { createProducer } from '../../services/common/kafka/producer';
import { createLogger } from '../../services/common/logger';
import { privacyReceipts } from '../../services/common/streams/privacy-receipts';
import { privacyRequests, type PrivacyRequestRecord } from '../../services/common/streams/privacy-requests';
import { tenantDirectory } from '../../services/common/tenants';
import { startClickHouseSink } from '../../services/clickhouse-sink/main';
import { startIdentityResolver } from '../../services/identity-resolver/main';
import { formatReceipt } from '../../services/cli/commands/privacy-command';
import { privacyService } from '../../services/privacy/main';
import { privacyClickHouseMutations, privacyClickHouseQueries } from '../../services/privacy/privacy-metrics';
import { openScratch } from './bench-scratch';
import {
  measureNeighbourThroughput,
  type NeighbourResult,
  type NeighbourSpace,
} from './neighbour-throughput';

export interface PrivacyBenchResult {
  people: number;
  subjects: number;
  deletesPerMinute: number;
  p50Ms: number;
  p99Ms: number;
  /** Epoch ms: the requests were sent, the last receipt arrived. */
  sentAt: number;
  lastReceiptAt: number;
  /** One receipt, as `cdp privacy delete --wait` prints it. */
  sample: string;
  /** Another tenant's resolver throughput without and during the deletes. */
  neighbour?: NeighbourResult;
  /** What the deletes asked of ClickHouse. */
  clickhouse?: ErasureLoad;
}

export interface ErasureLoad {
  /** ALTER TABLE ... DELETE mutations submitted, by table (tables without any left out). */
  mutations: Record<string, number>;
  /** Active parts of those tables when the requests were sent. */
  parts: Record<string, number>;
  /** Parts rewritten, about: each mutation rewrites every part of its table on 18.16. */
  partRewrites: number;
  /** Batched look-ups of the subjects, count queries (rows of subjects) and polls of system.mutations. */
  lookups: number;
  countQueries: number;
  polls: number;
}

/** The privacy service's erasure counters (privacy-metrics.ts; the service runs in this process). */
async function erasureCounters(): Promise<{ mutations: Map<string, number>; queries: Map<string, number> }> {
  const byLabel = (
    values: { labels: Record<string, string | number | undefined>; value: number }[],
    label: string,
  ) => new Map(values.map((v) => [String(v.labels[label]), v.value]));
  return {
    mutations: byLabel((await privacyClickHouseMutations.get()).values, 'table'),
    queries: byLabel((await privacyClickHouseQueries.get()).values, 'kind'),
  };
}

async function activeParts(clickhouse: ClickHouseClient, database: string): Promise<Record<string, number>> {
  const rs = await clickhouse.query({
    query: `SELECT table, count() AS n FROM system.parts WHERE database = ${sqlString(database)} AND active GROUP BY table`,
    format: 'JSONEachRow',
  });
  return Object.fromEntries(
    (await rs.json<{ table: string; n: string }>()).map((r) => [r.table, Number(r.n)]),
  );
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/** A resolved population (Redis graph, migrated ClickHouse database, topics) to delete subjects from. */
export interface DeleteSpace {
  tenant: string;
  database: string;
  requests: string;
  receipts: string;
  profiles: string;
  dlq: string;
  /** The space's other topics holding copies (listed in receipts). */
  retained: string[];
  /** `type:value` identifiers of the subjects, one delete request each. */
  identifiers: string[];
  /** People in the population (reported beside the figures). */
  people: number;
  /** Prefix of the consumer group ids of this run. */
  groupPrefix: string;
}

/**
 * Starts the privacy service on the space, sends one delete request per identifier at once and
 * waits for every receipt: deletes/min over the whole batch and request -> receipt p50 / p99.
 */
export async function measureDeletes(
  config: Config,
  space: DeleteSpace,
  /** Started right after the requests are sent, given the last receipt's arrival, awaited with it. */
  alongside?: (receiptsIn: Promise<void>) => Promise<void>,
): Promise<PrivacyBenchResult> {
  const quiet = createLogger('bench-privacy', 'fatal');
  const kafka = createKafka(config, `${space.groupPrefix}privacy-bench`, { quiet: true });
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const tenants = tenantDirectory({
    tenants: [{ id: space.tenant, writeKeys: [`${space.tenant}-write-key`] }],
  });
  const subjects = space.identifiers.length;
  const stops: (() => Promise<void>)[] = [];
  try {
    const producer = await createProducer(kafka);
    stops.push(() => producer.disconnect());
    const clickhouse = createClickHouse(config, space.database);
    stops.push(() => clickhouse.close());
    const privacy = await privacyService.startWith(config, quiet, {
      topics: {
        inputs: { requests: space.requests },
        outputs: { receipts: space.receipts },
        dlq: space.dlq,
      },
      groupId: `${space.groupPrefix}privacy`,
      options: {
        tenants,
        database: space.database,
        profilesTopic: space.profiles,
        retainedTopics: space.retained,
        exportDir: mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-privacy-')),
      },
    });
    stops.push(() => privacy.stop());
    const sentAt = new Map<string, number>();
    const requests: PrivacyRequestRecord[] = space.identifiers.map((identifier) => ({
      requestId: crypto.randomUUID(),
      tenant: space.tenant,
      action: 'delete',
      identifier,
      profileId: null,
      requestedBy: 'bench',
      requestedAt: Date.now(),
    }));
    const latencies: number[] = [];
    let sample = '';
    const consumer = kafka.consumer({ groupId: `${space.groupPrefix}receipt-reader` });
    await consumer.connect();
    stops.push(() => consumer.disconnect());
    await consumer.subscribe({ topics: [space.receipts], fromBeginning: true });
    let done: () => void = () => undefined;
    let lastReceiptAt = 0;
    const all = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const receipt = await codec.decodeRecord(privacyReceipts, message.value);
        const at = sentAt.get(receipt.requestId);
        if (at === undefined) return;
        latencies.push(Date.now() - at);
        if (sample === '') sample = formatReceipt(receipt);
        if (latencies.length === subjects) {
          lastReceiptAt = Date.now();
          done();
        }
      },
    });
    const parts = await activeParts(clickhouse, space.database);
    const counters0 = await erasureCounters();
    const first = Date.now();
    const messages = await Promise.all(
      requests.map(async (r) => ({
        topic: space.requests,
        key: privacyRequests.key(r),
        value: await codec.encodeRecord(privacyRequests, r, space.requests),
      })),
    );
    for (const r of requests) sentAt.set(r.requestId, first);
    await producer.send(messages);
    await Promise.all([all, alongside?.(all)]);
    const counters1 = await erasureCounters();
    const mutations: Record<string, number> = {};
    for (const [table, n] of counters1.mutations) {
      const d = n - (counters0.mutations.get(table) ?? 0);
      if (d > 0) mutations[table] = d;
    }
    const query = (kind: string) => (counters1.queries.get(kind) ?? 0) - (counters0.queries.get(kind) ?? 0);
    const elapsed = lastReceiptAt - first;
    latencies.sort((a, b) => a - b);
    return {
      people: space.people,
      subjects,
      deletesPerMinute: Math.round((subjects / elapsed) * 60_000 * 10) / 10,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      sentAt: first,
      lastReceiptAt,
      sample,
      clickhouse: {
        mutations,
        parts: Object.fromEntries(Object.keys(mutations).map((t) => [t, parts[t] ?? 0])),
        partRewrites: Object.entries(mutations).reduce((n, [t, m]) => n + m * (parts[t] ?? 0), 0),
        lookups: query('lookup'),
        countQueries: query('count'),
        polls: query('poll'),
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/**
 * measureDeletes with a neighbour tenant's resolver throughput measured before, during and after it,
 * through one resolver on the population's topics (`resolverTopics`).
 */
export async function measureDeletesBesideNeighbour(
  config: Config,
  space: DeleteSpace,
  resolverTopics: NeighbourSpace['topics'],
  progress?: (line: string) => void,
): Promise<PrivacyBenchResult> {
  const { deletes, neighbour } = await measureNeighbourThroughput(
    config,
    { tenant: space.tenant, topics: resolverTopics, groupPrefix: space.groupPrefix },
    (alongside) => measureDeletes(config, space, alongside),
    { progress },
  );
  return { ...deletes, neighbour };
}

export async function runPrivacyDeletes(people: number, subjects: number): Promise<PrivacyBenchResult> {
  const config = { ...loadConfig(), CDP_TOPIC_PARTITIONS: 3 };
  const run = crypto.randomBytes(4).toString('hex');
  const tenant = `bench-privacy-${run}`;
  const database = `cdp_bench_privacy_${run}`;
  const t = (what: string) => `bench.privacy.${run}.${what}`;
  const topics = {
    raw: t('raw'),
    resolved: t('resolved'),
    changes: t('changes'),
    profiles: t('profiles'),
    merges: t('merges'),
    warnings: t('warnings'),
    dlq: t('dlq'),
    sinkDlq: t('sink-dlq'),
    requests: t('requests'),
    receipts: t('receipts'),
  };
  // The resolver the deletes act on and the one the neighbour shares write the same topics.
  const resolverOutputs = {
    resolved: topics.resolved,
    changes: topics.changes,
    profiles: topics.profiles,
    merges: topics.merges,
    warnings: topics.warnings,
  };
  const scratch = await openScratch(config, {
    clientId: `bench-privacy-${run}`,
    topics: Object.values(topics),
    tenant,
    database,
    retentionMs: 3_600_000,
  });
  const quiet = createLogger('bench-privacy', 'fatal');
  const tenants = tenantDirectory({ tenants: [{ id: tenant, writeKeys: [`${tenant}-write-key`] }] });
  const stops: (() => Promise<void>)[] = [];
  try {
    await migrate(scratch.clickhouse, database, loadMigrations());
    const resolver = await startIdentityResolver(config, quiet, {
      input: topics.raw,
      dlq: topics.dlq,
      groupId: t('resolver'),
      tenants,
      outputs: resolverOutputs,
    });
    stops.push(() => resolver.stop());
    const sink = await startClickHouseSink(config, quiet, {
      topics: {
        events: topics.resolved,
        profiles: topics.profiles,
        merges: topics.merges,
        warnings: topics.warnings,
        deadLetters: topics.dlq,
      },
      database,
      groupId: t('sink'),
      dlq: topics.sinkDlq,
    });
    stops.push(() => sink.stop());
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const producer = await createProducer(scratch.kafka);
    stops.push(() => producer.disconnect());
    const events = createEventProducer({ codec, producer, topic: topics.raw });
    const started = Date.now();
    for (let from = 0; from < people; from += 1000) {
      const batch = [];
      for (let i = from; i < Math.min(people, from + 1000); i++) {
        batch.push(
          {
            tenant,
            messageId: `p${i}-1`,
            type: 'track' as const,
            event: 'Viewed',
            anonymousId: `phone-${i}`,
          },
          {
            tenant,
            messageId: `p${i}-2`,
            type: 'identify' as const,
            anonymousId: `phone-${i}`,
            userId: `u-${i}`,
            traits: { email: `p${i}@example.com` },
          },
          {
            tenant,
            messageId: `p${i}-3`,
            type: 'identify' as const,
            anonymousId: `laptop-${i}`,
            userId: `u-${i}`,
          },
        );
      }
      await events.publish(batch);
    }
    const db = sqlIdentifier(database);
    for (;;) {
      const rs = await scratch.clickhouse.query({
        query: `SELECT count() AS n FROM ${db}.events`,
        format: 'JSONEachRow',
      });
      const n = Number((await rs.json<{ n: string }>())[0]?.n);
      if (n >= people * 3) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    process.stderr.write(
      `privacy bench: ${people * 3} events of ${people} people loaded in ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
    // The neighbour's resolver reads the same raw topic; this one would resolve its events too.
    await resolver.stop();

    return await measureDeletesBesideNeighbour(
      config,
      {
        tenant,
        database,
        requests: topics.requests,
        receipts: topics.receipts,
        profiles: topics.profiles,
        dlq: topics.dlq,
        retained: [topics.raw, topics.resolved, topics.changes, topics.merges, topics.warnings, topics.dlq],
        identifiers: Array.from(
          { length: subjects },
          (_, k) => `email:p${k * Math.max(1, Math.floor(people / subjects))}@example.com`,
        ),
        people,
        groupPrefix: t(''),
      },
      {
        input: topics.raw,
        dlq: topics.dlq,
        outputs: resolverOutputs,
      },
      (line) => process.stderr.write(`privacy bench: ${line}\n`),
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await scratch.cleanup();
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { people: { type: 'string', default: '100000' }, subjects: { type: 'string', default: '100' } },
  });
  void runPrivacyDeletes(Number(values.people), Number(values.subjects)).then(
    (r) => {
      process.stdout.write(`${r.sample}\n\n`);
      process.stdout.write(
        `privacy deletes: ${r.subjects} subjects of ${r.people} people: ${r.deletesPerMinute.toFixed(1)} deletes/min, request->receipt p50 ${(r.p50Ms / 1000).toFixed(1)} s, p99 ${(r.p99Ms / 1000).toFixed(1)} s\n`,
      );
      const c = r.clickhouse;
      if (c !== undefined)
        process.stdout.write(
          `ClickHouse: ${
            Object.entries(c.mutations)
              .map(([t, m]) => `${t} ${m} mutations of ${c.parts[t]} parts`)
              .join(', ') || 'no mutations'
          }; about ${c.partRewrites} part rewrites; ${c.lookups} subject look-ups, ${c.countQueries} count queries, ${c.polls} polls of system.mutations\n`,
        );
      const n = r.neighbour;
      if (n !== undefined)
        for (const p of n.phases)
          process.stdout.write(
            `CPU s/s ${p.label}: ${Object.entries(p.cpuShare ?? {})
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}\n`,
          );
      if (n !== undefined)
        process.stdout.write(
          `neighbour tenant resolver events/s: ${n.phases.map((p) => `${p.label} ${p.perSecond} (${p.windows} windows, slowest ${p.slowestPerSecond}, ${p.cpuUsPerEvent} CPU us/event, Redis ${p.redisCpuShare} CPU s/s, ${p.redisScanShare} s/s in SCAN)`).join(', ')}; during / before and after = ${n.ratio.toFixed(2)} (target >= 0.90); resolver CPU per event during / before and after = ${n.cpuPerEventRatio?.toFixed(2)}\n`,
        );
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`privacy bench failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
