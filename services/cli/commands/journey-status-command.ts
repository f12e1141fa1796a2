// `cdp journeys status ID --tenant T`: instances per step, how they ended, conversions, from
// ClickHouse journey_steps (written by the journey engine).
import type { Command } from 'commander';
import { createClickHouse, type ClickHouseClient } from '../../common/clickhouse/clickhouse-client';
import type { Config } from '../../common/config';
import {
  JOURNEY_ENTERED,
  JOURNEY_EXITS,
  JOURNEY_FUNNEL,
  JOURNEY_RUNNING,
} from '../../journey-engine/journey-queries';
import { action } from '../cli-action';
import { bindQuery } from '../demo/analyst-queries';

interface Io {
  out(line: string): void;
}

export interface JourneyStatus {
  entered: number;
  reached: { step: string; instances: number }[];
  running: { step: string; instances: number }[];
  exits: { reason: string; instances: number }[];
}

async function rows<T>(client: ClickHouseClient, sql: string, params: Record<string, string>): Promise<T[]> {
  const rs = await client.query({ query: bindQuery(sql, params as { db: string }), format: 'JSONEachRow' });
  return rs.json<T>();
}

export async function readJourneyStatus(
  client: ClickHouseClient,
  database: string,
  tenant: string,
  journey: string,
): Promise<JourneyStatus> {
  const p = { db: database, tenant, journey };
  const [entered, reached, running, exits] = await Promise.all([
    rows<{ instances: string }>(client, JOURNEY_ENTERED, p),
    rows<{ step_id: string; instances: string }>(client, JOURNEY_FUNNEL, p),
    rows<{ step_id: string; instances: string }>(client, JOURNEY_RUNNING, p),
    rows<{ reason: string; instances: string }>(client, JOURNEY_EXITS, p),
  ]);
  return {
    entered: Number(entered[0]?.instances ?? 0),
    reached: reached.map((r) => ({ step: r.step_id, instances: Number(r.instances) })),
    running: running.map((r) => ({ step: r.step_id, instances: Number(r.instances) })),
    exits: exits.map((r) => ({ reason: r.reason, instances: Number(r.instances) })),
  };
}

export function formatJourneyStatus(tenant: string, journey: string, s: JourneyStatus): string[] {
  const pct = (n: number) => (s.entered === 0 ? '' : ` (${((100 * n) / s.entered).toFixed(1)}% of entered)`);
  const lines = [`journey ${journey} (tenant ${tenant}): ${s.entered} entered`];
  lines.push('reached, by step:');
  for (const r of s.reached)
    lines.push(`  ${r.step.padEnd(24)} ${String(r.instances).padStart(7)}${pct(r.instances)}`);
  lines.push('running now, by step:');
  if (s.running.length === 0) lines.push('  (none)');
  for (const r of s.running) lines.push(`  ${r.step.padEnd(24)} ${String(r.instances).padStart(7)}`);
  lines.push('exited, by reason:');
  if (s.exits.length === 0) lines.push('  (none)');
  for (const e of s.exits)
    lines.push(`  ${e.reason.padEnd(24)} ${String(e.instances).padStart(7)}${pct(e.instances)}`);
  const converted = s.exits.find((e) => e.reason === 'converted')?.instances ?? 0;
  lines.push(`conversions: ${converted}${pct(converted)}`);
  return lines;
}

export async function journeyStatus(
  config: Config,
  journey: string,
  options: { tenant: string; database?: string },
  io: Io = { out: (l) => process.stdout.write(`${l}\n`) },
): Promise<number> {
  const database = options.database ?? config.CDP_CLICKHOUSE_DATABASE;
  const client = createClickHouse(config);
  try {
    const status = await readJourneyStatus(client, database, options.tenant, journey);
    for (const line of formatJourneyStatus(options.tenant, journey, status)) io.out(line);
    return 0;
  } finally {
    await client.close();
  }
}

/** Adds `status` to the `cdp journeys` group. */
export function registerJourneyStatus(journeys: Command): void {
  journeys
    .command('status')
    .argument('<id>', 'the journey id')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .description('instances per step, exits by reason and conversions (from ClickHouse journey_steps)')
    .action((id: string, options: { tenant: string }) =>
      action((config) => journeyStatus(config, id, options))(),
    );
}
