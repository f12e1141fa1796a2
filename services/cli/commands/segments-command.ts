// `cdp segments sql|verify|members`: a segment as ClickHouse SQL, the SQL's members compared with the
// engine's live members, and the live members themselves (Redis).
import type { Command } from 'commander';
import { AvroCodec } from '../../common/codec/avro-codec';
import { createClickHouse } from '../../common/clickhouse/clickhouse-client';
import type { Config } from '../../common/config';
import { readDefinitions } from '../../common/definitions/definitions-topic';
import type { ComputedTraitDefinition } from '../../common/definitions/kinds/computed-trait';
import type { SegmentDefinition } from '../../common/definitions/kinds/segment';
import { createKafka } from '../../common/kafka/kafka-client';
import { createRedis } from '../../common/redis/redis-client';
import { membersKey } from '../../segment-engine/redis-keys';
import { compileSegment } from '../../segment-engine/sql/compile-segment';
import { action } from '../cli-action';

interface TenantOption {
  tenant: string;
}

async function compiledSql(
  config: Config,
  id: string,
  tenant: string,
  now = Date.now(),
): Promise<string | null> {
  const kafka = createKafka(config, 'cdp-cli-segments', { quiet: true });
  const stored = await readDefinitions(kafka, new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL), { tenant });
  const segments = new Map<string, SegmentDefinition>();
  const traits = new Map<string, ComputedTraitDefinition>();
  for (const d of stored) {
    if (d.kind === 'segment') segments.set(d.id, d.body as SegmentDefinition);
    if (d.kind === 'computed_trait') traits.set(d.id, d.body as ComputedTraitDefinition);
  }
  const segment = segments.get(id);
  if (segment === undefined) return null;
  return compileSegment(segment, { database: config.CDP_CLICKHOUSE_DATABASE, tenant, now, segments, traits });
}

async function liveMembers(
  config: Config,
  tenant: string,
  id: string,
): Promise<{ profile_id: string; entered_at: number }[]> {
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-cli');
  try {
    const flat = await redis.zrange(membersKey(tenant, id), 0, -1, 'WITHSCORES');
    const out: { profile_id: string; entered_at: number }[] = [];
    for (let i = 0; i < flat.length; i += 2)
      out.push({ profile_id: flat[i]!, entered_at: Number(flat[i + 1]) });
    return out.sort((a, b) => a.profile_id.localeCompare(b.profile_id));
  } finally {
    await redis.quit();
  }
}

function missing(id: string, tenant: string): number {
  process.stderr.write(`cdp segments: no segment '${id}' in tenant ${tenant}\n`);
  return 1;
}

export async function segmentSql(config: Config, id: string, options: TenantOption): Promise<number> {
  const sql = await compiledSql(config, id, options.tenant);
  if (sql === null) return missing(id, options.tenant);
  console.log(sql);
  return 0;
}

export async function segmentMembers(
  config: Config,
  id: string,
  options: TenantOption & { json?: boolean },
): Promise<number> {
  const members = await liveMembers(config, options.tenant, id);
  if (options.json) console.log(JSON.stringify(members));
  else for (const m of members) console.log(`${m.profile_id}  since ${new Date(m.entered_at).toISOString()}`);
  if (!options.json) console.log(`${members.length} members`);
  return 0;
}

/** Differences between SQL over the full history and the engine's live members; exit 1 on any. */
export async function segmentVerify(config: Config, id: string, options: TenantOption): Promise<number> {
  const sql = await compiledSql(config, id, options.tenant);
  if (sql === null) return missing(id, options.tenant);
  const clickhouse = createClickHouse(config);
  let fromSql: string[];
  try {
    const rs = await clickhouse.query({ query: sql, format: 'JSONEachRow' });
    fromSql = (await rs.json<{ profile_id: string }>()).map((r) => r.profile_id);
  } finally {
    await clickhouse.close();
  }
  const live = new Set((await liveMembers(config, options.tenant, id)).map((m) => m.profile_id));
  const sqlSet = new Set(fromSql);
  const onlySql = fromSql.filter((p) => !live.has(p)).sort();
  const onlyLive = [...live].filter((p) => !sqlSet.has(p)).sort();
  for (const p of onlySql) console.log(`only in ClickHouse  ${p}`);
  for (const p of onlyLive) console.log(`only in the engine  ${p}`);
  const differences = onlySql.length + onlyLive.length;
  console.log(
    `segment ${id}: ${sqlSet.size} members in ClickHouse, ${live.size} live, ${differences} differences`,
  );
  return differences === 0 ? 0 : 1;
}

/** Adds `sql`, `verify` and `members` to `cdp segments`. */
export function registerSegmentsCommands(segments: Command): void {
  segments
    .command('sql')
    .argument('<id>', 'segment id')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .description("the segment's members today as ClickHouse SQL")
    .action((id: string, options: TenantOption) => action((config) => segmentSql(config, id, options))());
  segments
    .command('verify')
    .argument('<id>', 'segment id')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .description('compare SQL over the full history with the live members; exit 1 on any difference')
    .action((id: string, options: TenantOption) => action((config) => segmentVerify(config, id, options))());
  segments
    .command('members')
    .argument('<id>', 'segment id')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .option('--json', 'a JSON array of { profile_id, entered_at }')
    .description('current members, as the engine keeps them')
    .action((id: string, options: TenantOption & { json?: boolean }) =>
      action((config) => segmentMembers(config, id, options))(),
    );
}
