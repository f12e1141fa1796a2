// The profile API's bench on its own: seeds a population of profiles into the Redis identity graph
// under a fresh tenant (through IdentityGraph, the resolver's own write path), runs
// runProfileApiLoad, prints the rows, then deletes the tenant's keys.
//
//   node dist/bench/profile-api-bench.js [--profiles 5000] [--rate 2000] [--seconds 20]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../services/common/config';
import { deleteKeysMatching } from '../services/common/redis/delete-keys';
import { createRedis } from '../services/common/redis/redis-client';
import { IdentityGraph } from '../services/identity-resolver/identity-graph';
import { DEFAULT_IDENTITY_RULES } from '../services/identity-resolver/identity-rules';
import { tenantPrefix } from '../services/identity-resolver/redis-keys';
import { profileApiRows } from './report/capability-rows';
import { formatTable, SUMMARY_HEADER } from './report/results-table';
import { runProfileApiLoad } from './stages/profile-api-load';

async function seed(graph: IdentityGraph, tenant: string, profiles: number): Promise<string[]> {
  const ids: string[] = [];
  const at = new Date().toISOString();
  for (let start = 0; start < profiles; start += 200) {
    const chunk = Array.from({ length: Math.min(200, profiles - start) }, (_, k) => start + k);
    const outcomes = await Promise.all(
      chunk.map((i) =>
        graph.resolveEvent(
          {
            messageId: `${tenant}-${i}`,
            tenant,
            type: 'identify',
            userId: `user-${i}`,
            anonymousId: `anon-${i}`,
            traits: { email: `person${i}@example.com`, plan: i % 3 === 0 ? 'pro' : 'free', visits: i },
            timestamp: at,
          },
          DEFAULT_IDENTITY_RULES,
        ),
      ),
    );
    for (const o of outcomes) if (o.status !== 'rejected' && o.profileId !== null) ids.push(o.profileId);
  }
  return ids;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profiles: { type: 'string', default: '5000' },
      rate: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '20' },
    },
  });
  const profiles = Number(values.profiles);
  const config = loadConfig();
  const tenant = `bench-api-${randomBytes(4).toString('hex')}`;
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-profile-api-bench');
  try {
    const profileIds = await seed(new IdentityGraph(redis), tenant, profiles);
    process.stderr.write(`profile-api bench: ${profileIds.length} profiles seeded under tenant ${tenant}\n`);
    const identifiers = profileIds.map((_, i) =>
      i % 2 === 0 ? `email:Person${i}@Example.com` : `user_id:user-${i}`,
    );
    const result = await runProfileApiLoad(config, {
      tenant,
      identifiers,
      profileIds,
      rate: Number(values.rate),
      seconds: Number(values.seconds),
    });
    console.log(formatTable(SUMMARY_HEADER, profileApiRows(result)));
    console.log(JSON.stringify({ tenant, profiles: profileIds.length, ...result }));
  } finally {
    await deleteKeysMatching(redis, `${tenantPrefix(tenant)}:*`);
    await redis.quit();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `profile-api bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
