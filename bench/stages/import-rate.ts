// `cdp import` throughput: a generated CSV of CRM-like rows (ids, e-mail, phone, a few traits, one
// in a few hundred with a quoted multi-line note) imported to a private topic, with the suppression
// check `cdp import` makes (the bench tenant's list, in Redis); rows/s counts rows Kafka
// acknowledged, from the start of the import (file hash pass included) to the last ack. cpu_s is
// this process's CPU time over the import (user + system, every thread), main_thread_cpu_s the
// part of the thread that sends to Kafka, worker_thread_cpu_s the import worker's (the rest is
// libuv's and V8's helper threads). `machine_cpu` says where the machine's CPU went over the
// import (bench-process, Kafka, ClickHouse, Redis, other: process-cpu.ts), so a run slowed by
// other work (a previous stage's merges, say) shows it.
// As `cdp import` runs it: a worker thread reads, maps, checks and encodes, record batches are not
// compressed; `--compression gzip` and `--one-thread` measure the alternatives.
//
// `make bench` runs it in a process of its own (runImportRateInChild), as a user runs `cdp import`:
// the bench process's heap (the populations, earlier stages) is not the import's.
//
//   node dist/bench/stages/import-rate.js [--rows 1000000] [--compression none|gzip] [--one-thread]
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { loadConfig, type Config } from '../../services/common/config';
import { applyTopics } from '../../services/common/kafka/apply-topics';
import { createKafka } from '../../services/common/kafka/kafka-client';
import { createProducer } from '../../services/common/kafka/producer';
import { parseIdentityRules } from '../../services/identity-resolver/identity-rules';
import { suppressedEventsOf } from '../../services/common/privacy/event-identifiers';
import { SuppressionList } from '../../services/common/privacy/suppression';
import { createRedis } from '../../services/common/redis/redis-client';
import { loadTenants } from '../../services/common/tenants';
import { newCounters, runImport } from '../../services/import/import-pipeline';
import {
  DEFAULT_IMPORT_COMPRESSION,
  IMPORT_COMPRESSIONS,
  type ImportCompression,
} from '../../services/import/import-compression';
import { runImportInWorker } from '../../services/import/import-in-worker';
import { rawEventSender } from '../../services/import/raw-event-sender';
import { cpuBetween, cpuSnapshot } from './process-cpu';

export interface ImportRateResult {
  rows: number;
  bytes: number;
  seconds: number;
  rows_per_s: number;
  rejected: number;
  cpu_s: number;
  main_thread_cpu_s: number;
  /** The import worker thread's CPU (null with --one-thread). */
  worker_thread_cpu_s: number | null;
  compression: ImportCompression;
  threads: 1 | 2;
  /** CPU seconds over the import: this process, the stack's servers, the rest of the machine. */
  machine_cpu: { bench: number; kafka: number; clickhouse: number; redis: number; other: number };
}

export interface ImportRateOptions {
  rows: number;
  /** Default: what `cdp import` uses. */
  compression?: ImportCompression;
  /** The import in the sending thread (runImport), as before the worker thread. */
  oneThread?: boolean;
}

/** Writes `rows` data rows of a CRM export, waiting for the disk (constant memory). */
export async function writeCrmCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('user_id,email,phone,first_name,last_name,plan,lifetime_value,address.city,notes\n');
  const plans = ['starter', 'pro', 'enterprise'];
  const cities = ['Berlin', 'Lyon', 'Osaka', 'Lima', 'Perth'];
  for (let i = 1; i <= rows; i++) {
    const note = i % 250 === 0 ? '"Call notes:\nasked about ""Team"" plan"' : '';
    await write(
      `u-${i},person${i}@example.com,+1 415 555 ${String(i % 10000).padStart(4, '0')},First${i},Last${i},` +
        `${plans[i % 3]},${(i % 9973) * 1.5},${cities[i % 5]},${note}\n`,
    );
  }
  out.end();
  await once(out, 'finish');
}

const TENANT = 'bench';

export async function runImportRate(config: Config, options: ImportRateOptions): Promise<ImportRateResult> {
  const compression = options.compression ?? DEFAULT_IMPORT_COMPRESSION;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-import-'));
  const file = path.join(dir, 'crm.csv');
  const topic = `bench.import.${Date.now()}`;
  const kafka = createKafka(config, 'cdp-bench-import', { quiet: true });
  await applyTopics(kafka, [
    { name: topic, partitions: config.CDP_TOPIC_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 3_600_000 },
  ]);
  const producer = await createProducer(kafka, {
    maxRequestBytes: config.CDP_KAFKA_MAX_REQUEST_BYTES,
    compression,
  });
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-bench-import');
  const tenant = loadTenants(config.CDP_TENANTS_FILE).byId(TENANT);
  try {
    process.stderr.write(`bench: writing a ${options.rows.toLocaleString('en-US')}-row CSV\n`);
    await writeCrmCsv(file, options.rows);
    const counters = newCounters();
    const sink = rawEventSender({
      codec: new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL),
      producer,
      topic,
      onAcknowledged: (n) => {
        counters.sent += n;
      },
    });
    process.stderr.write(`bench: importing to ${topic}\n`);
    const machineBefore = cpuSnapshot();
    const cpuBefore = process.cpuUsage();
    const threadCpuBefore = process.threadCpuUsage();
    let workerCpu: number | null = null;
    if (options.oneThread === true)
      await runImport([file], {
        tenant: TENANT,
        maxEventBytes: config.CDP_COLLECTOR_MAX_EVENT_BYTES,
        sink,
        onRejected: () => undefined,
        skipEvents: suppressedEventsOf(
          new SuppressionList(redis),
          TENANT,
          parseIdentityRules(tenant?.identity, TENANT),
        ),
        counters,
      });
    else
      await runImportInWorker([file], {
        tenant: TENANT,
        maxEventBytes: config.CDP_COLLECTOR_MAX_EVENT_BYTES,
        registryUrl: config.CDP_SCHEMA_REGISTRY_URL,
        topic,
        sink,
        onRejected: () => undefined,
        suppression: { redisUrl: config.CDP_REDIS_URL, identity: tenant?.identity },
        onWorkerCpu: (s) => {
          workerCpu = s;
        },
        counters,
      });
    const seconds = (Date.now() - counters.startedAt) / 1000;
    const spent = cpuBetween(machineBefore, cpuSnapshot());
    const cpu = process.cpuUsage(cpuBefore);
    const threadCpu = process.threadCpuUsage(threadCpuBefore);
    return {
      rows: counters.sent,
      bytes: statSync(file).size,
      seconds: Math.round(seconds * 10) / 10,
      rows_per_s: Math.round(counters.sent / seconds),
      rejected: counters.rejected,
      cpu_s: Math.round((cpu.user + cpu.system) / 1e5) / 10,
      main_thread_cpu_s: Math.round((threadCpu.user + threadCpu.system) / 1e5) / 10,
      worker_thread_cpu_s: workerCpu === null ? null : Math.round(workerCpu * 10) / 10,
      compression,
      threads: options.oneThread === true ? 1 : 2,
      machine_cpu: {
        bench: spent.bench,
        kafka: spent.kafka,
        clickhouse: spent.clickhouse,
        redis: spent.redis,
        other:
          Math.round((spent.machine - spent.bench - spent.kafka - spent.clickhouse - spent.redis) * 100) /
          100,
      },
    };
  } finally {
    redis.disconnect();
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** runImportRate in a child process; its progress lines go to this process's stderr. */
export async function runImportRateInChild(rows: number): Promise<ImportRateResult> {
  const execArgv = __filename.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = promisify(execFile)(process.execPath, [...execArgv, __filename, '--rows', String(rows)], {
    encoding: 'utf8',
  });
  child.child.stderr?.pipe(process.stderr);
  const { stdout } = await child;
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ImportRateResult;
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      compression: { type: 'string' },
      'one-thread': { type: 'boolean', default: false },
    },
  });
  const compression = values.compression as ImportCompression | undefined;
  if (compression !== undefined && !IMPORT_COMPRESSIONS.includes(compression))
    throw new Error(`--compression must be one of ${IMPORT_COMPRESSIONS.join(', ')}`);
  runImportRate(loadConfig(), { rows: Number(values.rows), compression, oneThread: values['one-thread'] })
    .then((result) => {
      console.log(JSON.stringify(result));
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}
