// `cdp profile get <type>:<value>`: the live profile holding an identifier, read from the Redis graph.
import type { Config } from '../../common/config';
import { createRedis } from '../../common/redis/redis-client';
import { loadTenants } from '../../common/tenants';
import { consentOf } from '../../identity-resolver/consent-operations';
import { IdentityGraph } from '../../identity-resolver/identity-graph';
import type { ProfileSnapshot } from '../../identity-resolver/identity-outcome';
import { lookupProfile } from '../../identity-resolver/profile-lookup';
import { readProfileSegments, type ProfileSegments } from '../../segment-engine/profile-segments';

export interface ProfileGetOptions {
  tenant?: string;
  json?: boolean;
}

/** The stable machine form: snake_case like the ClickHouse columns. */
export function profileJson(
  tenant: string,
  p: ProfileSnapshot,
  live: ProfileSegments = { segments: [], computed: {} },
): Record<string, unknown> {
  return {
    tenant,
    profile_id: p.profileId,
    identifiers: p.identifiers,
    traits: p.traits,
    consent: consentOf(p.traitState),
    merged_from: p.mergedFrom,
    version: p.version,
    first_seen: p.firstSeen,
    last_seen: p.lastSeen,
    segments: live.segments.map((s) => s.id),
    computed: live.computed,
  };
}

export function formatProfile(tenant: string, p: ProfileSnapshot): string {
  const traitNames = Object.keys(p.traits);
  const lines = [
    `profile      ${p.profileId}  (tenant ${tenant}, version ${p.version})`,
    `first seen   ${p.firstSeen}`,
    `last seen    ${p.lastSeen}`,
    `identifiers  ${p.identifiers.length}`,
    ...p.identifiers.map((i) => `  ${i}`),
    `traits       ${traitNames.length}`,
    ...traitNames.map((name) => `  ${name} = ${JSON.stringify(p.traits[name])}`),
    `merged from  ${p.mergedFrom.length === 0 ? '(none)' : p.mergedFrom.length}`,
    ...p.mergedFrom.map((id) => `  ${id}`),
  ];
  return lines.join('\n');
}

export async function profileGet(
  config: Config,
  identifier: string,
  options: ProfileGetOptions,
): Promise<number> {
  const tenantId = options.tenant ?? 'demo';
  const tenant = loadTenants(config.CDP_TENANTS_FILE).byId(tenantId);
  if (tenant === undefined) {
    process.stderr.write(
      `cdp profile get: unknown tenant '${tenantId}' (not in ${config.CDP_TENANTS_FILE})\n`,
    );
    return 2;
  }
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-cli');
  try {
    // The tenant's rules decide normalization (e.g. phoneDefaultRegion), as they did when resolving.
    const found = await lookupProfile(new IdentityGraph(redis), tenant, identifier);
    if (found.status === 'invalid') {
      process.stderr.write(`cdp profile get: ${found.reason}\n`);
      return 2;
    }
    if (found.status === 'not_found') {
      process.stderr.write(`cdp profile get: no profile has ${identifier} in tenant ${tenantId}\n`);
      return 1;
    }
    const profile = found.profile;
    const live = await readProfileSegments(redis, tenantId, profile.profileId);
    console.log(
      options.json
        ? JSON.stringify(profileJson(tenantId, profile, live))
        : [
            formatProfile(tenantId, profile),
            `segments     ${live.segments.map((s) => s.id).join(', ') || '(none)'}`,
            ...Object.entries(live.computed).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`),
          ].join('\n'),
    );
    return 0;
  } finally {
    await redis.quit();
  }
}
