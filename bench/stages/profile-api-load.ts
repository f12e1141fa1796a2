// Load on the profile API: an open-model load generator in a process of its own (open-loop-load.ts)
// at a fixed request rate against profile lookups (cycling through the population's identifiers),
// then against the events route, each after a warm-up that is not recorded. Starts its own API in
// a process of its own too (profile-api-child.ts) on a free port, with a tenants file holding one
// read key for the tenant, and reports that process's CPU per request, event-loop delay and GC
// pauses of each recorded window.
// `make bench` runs it on the main run's population; bench/profile-api-bench.ts on a seeded graph.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../services/common/config';
import { fork, type ChildProcess } from 'node:child_process';
import { sha256Hex } from '../../services/common/tenants';
import type { ProfileApiOverrides } from '../../services/profile-api/main';
import { generateReadKey } from '../../services/profile-api/api-keys';
import { runOpenLoopLoad, type ServerMeter, type ServerSide, type ServerStats } from './open-loop-load';
import type { ChildCommand, ChildReply } from './profile-api-child';

export interface ProfileApiLoadOptions {
  tenant: string;
  /** `type:value` identifiers to look up (cycled through). */
  identifiers: string[];
  /** Live profile ids for the events route (cycled through). */
  profileIds: string[];
  /** Offered requests per second of the lookup run (the 2,000). */
  rate: number;
  seconds: number;
  /** Unrecorded seconds at the same rate before each run (JIT, connections, caches). */
  warmupSeconds?: number;
  connections?: number;
  /** ClickHouse database the events route reads (default CDP_CLICKHOUSE_DATABASE). */
  database?: string;
  /** Privacy topics the API follows at start (default the production ones). */
  privacyTopics?: { requests: string; receipts: string };
}

export interface LatencyRun extends ServerSide {
  offered_per_s: number | null;
  requests_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  p999_ms: number;
  max_ms: number;
  max_in_flight: number;
  non_2xx: number;
  errors: number;
}

export interface ProfileApiLoadResult {
  lookups: LatencyRun;
  events: LatencyRun;
}

interface ApiChild {
  port: number;
  meter: ServerMeter;
  stop(): Promise<void>;
}

async function startApiChild(config: Config, overrides: ProfileApiOverrides): Promise<ApiChild> {
  const child: ChildProcess = fork(path.join(__dirname, `profile-api-child${path.extname(__filename)}`), [], {
    execArgv: __filename.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`profile API child exited with ${String(code)}`))),
  );
  exited.catch(() => undefined);
  const ask = <T>(command: ChildCommand, pick: (reply: ChildReply) => T | undefined): Promise<T> =>
    Promise.race([
      exited,
      new Promise<T>((resolve, reject) => {
        const on = (reply: ChildReply) => {
          if ('error' in reply) reject(new Error(`profile API child: ${reply.error}`));
          const value = pick(reply);
          if (value === undefined) return;
          child.off('message', on);
          resolve(value);
        };
        child.on('message', on);
        child.send(command);
      }),
    ]);
  const port = await ask({ start: { config, overrides } }, (r) => ('port' in r ? r.port : undefined));
  return {
    port,
    meter: {
      start: async () => {
        await ask({ measure: 'start' }, (r) => ('measuring' in r ? true : undefined));
      },
      stop: () => ask<ServerStats>({ measure: 'stop' }, (r) => ('stats' in r ? r.stats : undefined)),
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      child.send({ stop: true } satisfies ChildCommand);
      await exited.catch(() => undefined);
    },
  };
}

async function load(
  api: ApiChild,
  key: string,
  paths: string[],
  o: { rate: number; seconds: number; warmupSeconds: number; connections: number },
): Promise<LatencyRun> {
  const r = await runOpenLoopLoad(
    {
      port: api.port,
      headers: { authorization: `Bearer ${key}` },
      paths,
      rate: o.rate,
      seconds: o.seconds,
      warmupSeconds: o.warmupSeconds,
      maxConnections: o.connections,
      timeoutMs: 10_000,
    },
    api.meter,
  );
  return {
    offered_per_s: o.rate,
    requests_per_s: r.served_per_s,
    p50_ms: r.p50_ms,
    p95_ms: r.p95_ms,
    p99_ms: r.p99_ms,
    p999_ms: r.p999_ms,
    max_ms: r.max_ms,
    max_in_flight: r.max_in_flight,
    non_2xx: r.non_2xx,
    errors: r.errors,
    cpu_ms_per_request: r.cpu_ms_per_request,
    loop_delay_p99_ms: r.loop_delay_p99_ms,
    loop_delay_max_ms: r.loop_delay_max_ms,
    gc_pause_total_ms: r.gc_pause_total_ms,
    gc_pause_max_ms: r.gc_pause_max_ms,
  };
}

export async function runProfileApiLoad(
  config: Config,
  o: ProfileApiLoadOptions,
): Promise<ProfileApiLoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-profile-api-bench-'));
  const key = generateReadKey();
  const tenantsFile = path.join(dir, 'tenants.json');
  writeFileSync(
    tenantsFile,
    JSON.stringify({
      tenants: [
        { id: o.tenant, writeKeys: [`${o.tenant}-bench-write-key`], readKeyHashes: [sha256Hex(key)] },
      ],
    }),
  );
  const api = await startApiChild(
    {
      ...config,
      CDP_TENANTS_FILE: tenantsFile,
      CDP_PROFILE_API_PORT: 0,
      CDP_PROFILE_API_RATE_LIMIT_PER_SECOND: 0,
    },
    {
      ...(o.database !== undefined && { database: o.database }),
      ...(o.privacyTopics !== undefined && { privacyTopics: o.privacyTopics }),
    },
  );
  try {
    const warmupSeconds = o.warmupSeconds ?? 5;
    const lookups = await load(
      api,
      key,
      o.identifiers.map((i) => `/v1/profiles/${encodeURIComponent(i)}`),
      { rate: o.rate, seconds: o.seconds, warmupSeconds, connections: o.connections ?? 256 },
    );
    // Each events request reads ClickHouse: offered at a modest rate, p99 is the figure. `since`
    // reaches back before any bench population (dated from 2026-01-01): with the default 14-day
    // window the pages of an older population are empty and the figure measures no event read.
    const events = await load(
      api,
      key,
      o.profileIds.map((id) => `/v1/profiles/${id}/events?limit=100&since=2000-01-01T00:00:00Z`),
      { rate: 20, seconds: o.seconds, warmupSeconds, connections: 16 },
    );
    return { lookups, events };
  } finally {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
