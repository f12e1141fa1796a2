// Load on the profile API: autocannon at a fixed request rate against profile lookups (cycling
// through the population's identifiers), then against the events route. Starts its own API
// process-internally on a free port, with a tenants file holding one read key for the tenant.
// `make bench` runs it on the main run's population; bench/profile-api-bench.ts on a seeded graph.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Config } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import { sha256Hex } from '../../services/common/tenants';
import { startProfileApi } from '../../services/profile-api/main';
import { generateReadKey } from '../../services/profile-api/api-keys';

export interface ProfileApiLoadOptions {
  tenant: string;
  /** `type:value` identifiers to look up (cycled through). */
  identifiers: string[];
  /** Live profile ids for the events route (cycled through). */
  profileIds: string[];
  /** Offered requests per second of the lookup run (the 2,000). */
  rate: number;
  seconds: number;
  connections?: number;
  /** ClickHouse database the events route reads (default CDP_CLICKHOUSE_DATABASE). */
  database?: string;
  /** Privacy topics the API follows at start (default the production ones). */
  privacyTopics?: { requests: string; receipts: string };
}

export interface LatencyRun {
  offered_per_s: number | null;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
}

export interface ProfileApiLoadResult {
  lookups: LatencyRun;
  events: LatencyRun;
}

async function load(
  port: number,
  key: string,
  paths: string[],
  seconds: number,
  connections: number,
  rate: number | undefined,
): Promise<LatencyRun> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    ...(rate !== undefined && { overallRate: rate }),
    headers: { authorization: `Bearer ${key}` },
    requests: paths.map((p) => ({ method: 'GET', path: p })),
  });
  return {
    offered_per_s: rate ?? null,
    requests_per_s: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non_2xx: result.non2xx,
    errors: result.errors,
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
  const api = await startProfileApi(
    {
      ...config,
      CDP_TENANTS_FILE: tenantsFile,
      CDP_PROFILE_API_PORT: 0,
      CDP_PROFILE_API_RATE_LIMIT_PER_SECOND: 0,
    },
    createLogger('profile-api-bench', 'warn'),
    {
      ...(o.database !== undefined && { database: o.database }),
      ...(o.privacyTopics !== undefined && { privacyTopics: o.privacyTopics }),
    },
  );
  try {
    const connections = o.connections ?? 32;
    const lookups = await load(
      api.port,
      key,
      o.identifiers.map((i) => `/v1/profiles/${encodeURIComponent(i)}`),
      o.seconds,
      connections,
      o.rate,
    );
    // Each events request scans the events_resolved view: offered at a modest rate, p99 is the figure.
    const events = await load(
      api.port,
      key,
      o.profileIds.map((id) => `/v1/profiles/${id}/events?limit=100`),
      o.seconds,
      4,
      20,
    );
    return { lookups, events };
  } finally {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
