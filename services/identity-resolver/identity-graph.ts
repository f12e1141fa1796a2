// The Redis-backed identity graph: typed calls over the Lua scripts in ./lua. One EVALSHA per
// event; Kafka knows nothing of this file and this file knows nothing of Kafka.
import { hash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { normalizeIdentifier } from './extract-identifiers';
import type { IdentityEventInput } from './identity-event';
import {
  outcomeFromLua,
  snapshotFromLua,
  type IdentityOutcome,
  type IdentityRejection,
  type IdentitySuppressed,
  type ProfileSnapshot,
} from './identity-outcome';
import { DEFAULT_IDENTITY_RULES, OTHER_TYPES, type IdentityRules } from './identity-rules';
import { identifierDigest, suppressionKeys } from '../common/privacy/suppression';
import { loadLuaScript, runLuaScript, type LuaScript } from './lua-scripts';
import { prepareResolution, type ResolutionRequest } from './prepare-resolution';
import {
  identifierIndexKey,
  indexEntryOfOutcomeKey,
  outcomeIndexKey,
  outcomeKeyOfDigest,
  tenantOfKey,
  tenantPrefix,
} from './redis-keys';
import { encodeTraitEntry } from './trait-operations';

/** Keys per UNLINK: one round trip per chunk of a consumed batch, never one huge command. */
const FORGET_CHUNK = 500;

const KIND_CODE = { set: 's', set_once: 'o', unset: 'u' } as const;

interface LuaRules {
  rank: Record<string, number>;
  otherRank: number;
  limits: Record<string, number>;
  defaultLimit: number;
  maxIds: number;
  maxMerges: number;
  maxTraits: number;
  maxTraitBytes: number;
}

/** Each tenant's rules as the script reads them, serialized once (they go with every event). */
const luaRulesCache = new WeakMap<IdentityRules, string>();

function luaRules(rules: IdentityRules): string {
  let json = luaRulesCache.get(rules);
  if (json === undefined) {
    const rank: Record<string, number> = {};
    rules.priority.forEach((type, index) => {
      if (type !== OTHER_TYPES) rank[type] = index;
    });
    const others = rules.priority.indexOf(OTHER_TYPES);
    const compiled: LuaRules = {
      rank,
      otherRank: others >= 0 ? others : rules.priority.length,
      limits: { ...rules.limits },
      defaultLimit: rules.defaultLimit,
      maxIds: rules.maxIdentifiersPerProfile,
      maxMerges: rules.maxMergesPerProfile,
      maxTraits: rules.maxTraitsPerProfile,
      maxTraitBytes: rules.maxTraitBytesPerProfile,
    };
    json = JSON.stringify(compiled);
    luaRulesCache.set(rules, json);
  }
  return json;
}

export type RestoreResult = 'restored' | 'stale' | 'merged';

export interface ResolveOptions {
  /**
   * Refuse the event, before anything is read or written, when the privacy suppression list
   * (common/privacy/suppression.ts) holds one of its identifiers: the reply is `suppressed`.
   */
  refuseSuppressed?: boolean;
}

export class IdentityGraph {
  private readonly resolveScript: LuaScript = loadLuaScript('resolve-event-4.lua');
  private readonly getScript: LuaScript = loadLuaScript('get-profile-1.lua');
  private readonly restoreScript: LuaScript = loadLuaScript('restore-profile-1.lua');
  private readonly releaseScript: LuaScript = loadLuaScript('release-outcomes-1.lua');

  private nextLane = 0;

  constructor(
    private readonly redis: Redis,
    /** Processing time: which dedupe period a message is recorded in (tests move it). */
    private readonly now: () => number = Date.now,
    /**
     * More connections to the same Redis for the per-event script calls, taken in turn. ioredis
     * sends one auto-pipeline per connection and waits for all of its replies before the next, so
     * on one connection Node and Redis take turns; with several, Redis runs one connection's
     * batch while Node builds another's. An event's calls stay ordered: each awaits the last.
     */
    private readonly resolveLanes: readonly Redis[] = [],
  ) {}

  private resolveConnection(): Redis {
    const lane = this.nextLane;
    this.nextLane = (lane + 1) % (this.resolveLanes.length + 1);
    return lane === 0 ? this.redis : (this.resolveLanes[lane - 1] as Redis);
  }

  /**
   * Applies one event under the tenant's rules. Invalid envelopes come back as a rejection. `at`
   * (epoch ms, default: the graph's clock) is the processing time the outputs carry; it is stored
   * with the outcome so a redelivery re-sends the same records.
   */
  async resolveEvent(
    event: IdentityEventInput,
    rules: IdentityRules,
    at?: number,
  ): Promise<IdentityOutcome | IdentityRejection>;
  async resolveEvent(
    event: IdentityEventInput,
    rules: IdentityRules,
    at: number | undefined,
    options: ResolveOptions,
  ): Promise<IdentityOutcome | IdentityRejection | IdentitySuppressed>;
  async resolveEvent(
    event: IdentityEventInput,
    rules: IdentityRules,
    at?: number,
    options: ResolveOptions = {},
  ): Promise<IdentityOutcome | IdentityRejection | IdentitySuppressed> {
    const prepared = prepareResolution(event, rules);
    if (!prepared.ok) {
      return {
        status: 'rejected',
        tenant: String(event.tenant),
        messageId: String(event.messageId),
        reason: prepared.reason,
      };
    }
    return this.resolveRequest(prepared.request, rules, at, options);
  }

  async resolveRequest(
    request: ResolutionRequest,
    rules: IdentityRules,
    at?: number,
  ): Promise<IdentityOutcome>;
  async resolveRequest(
    request: ResolutionRequest,
    rules: IdentityRules,
    at: number | undefined,
    options: ResolveOptions,
  ): Promise<IdentityOutcome | IdentitySuppressed>;
  async resolveRequest(
    request: ResolutionRequest,
    rules: IdentityRules,
    at: number = this.now(),
    options: ResolveOptions = {},
  ): Promise<IdentityOutcome | IdentitySuppressed> {
    const { tenant, messageId, refused, warnings } = request;
    if (request.identifiers.length === 0) {
      // Nothing to resolve against: the graph is untouched, so there is nothing to dedupe either.
      return {
        status: 'unresolved',
        duplicate: false,
        tenant,
        messageId,
        profileId: null,
        version: null,
        appliedAt: at,
        created: false,
        changed: false,
        mergedFrom: [],
        identifiersAdded: [],
        identifiersRefused: refused,
        traitsChanged: [],
        tombstones: [],
        warnings,
        profile: null,
        mergedSince: [],
      };
    }
    // Hashed here, where it is cheap; the script keeps 16 bytes of it per message for the window.
    const digest = hash('sha1', messageId, 'buffer');
    const prefix = tenantPrefix(tenant);
    const fields = JSON.stringify({
      prefix,
      ts: request.timestampMs,
      now: at,
      windowMs: rules.dedupeWindowSeconds * 1000,
      outcomeTtlMs: rules.outcomeTtlSeconds * 1000,
      bucket: digest.readUInt32BE(16) % rules.dedupeBuckets,
      ids: request.identifiers,
      founder: request.founderProfileId,
      traits: request.traitOperations.map((op) => [op.name, KIND_CODE[op.kind], op.value ?? '']),
      held: options.refuseSuppressed ? request.identifiers.map(identifierDigest) : undefined,
    });
    const payload = `${fields.slice(0, -1)},"rules":${luaRules(rules)}}`;
    let reply: unknown;
    try {
      reply = await runLuaScript(
        this.resolveConnection(),
        this.resolveScript,
        [identifierIndexKey(tenant), outcomeKeyOfDigest(tenant, digest), ...suppressionKeys(tenant)],
        [payload, digest.subarray(0, 16)],
      );
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`identity graph: resolving message ${messageId} of tenant ${tenant} failed: ${why}`, {
        cause: error,
      });
    }
    return outcomeFromLua(reply, { tenant, messageId, refused, warnings, now: at });
  }

  /**
   * After a chunk's outputs are acknowledged: per tenant, one script checks that no snapshot the
   * chunk wrote was overtaken in Redis and, when none was, releases that tenant's outcomes (all
   * tenants in one round trip). Returns the tenants where a snapshot was behind: their outcomes
   * are kept, for the caller to run the full snapshot guard and release afterwards.
   */
  async releaseOutcomesIfSnapshotsCurrent(
    written: readonly { tenant: string; profileId: string; version: number | null }[],
    outcomeKeys: readonly string[],
  ): Promise<Set<string>> {
    const byTenant = new Map<string, { written: [string, number][]; outcomes: string[] }>();
    const entry = (tenant: string) => {
      let e = byTenant.get(tenant);
      if (e === undefined) byTenant.set(tenant, (e = { written: [], outcomes: [] }));
      return e;
    };
    for (const w of written) entry(w.tenant).written.push([w.profileId, w.version ?? -1]);
    for (const key of outcomeKeys) entry(tenantOfKey(key)).outcomes.push(key);
    const tenants = [...byTenant.keys()];
    // Issued together, ioredis pipelines them on one connection: one round trip for all tenants.
    const replies = await Promise.all(
      tenants.map((tenant) =>
        runLuaScript(
          this.redis,
          this.releaseScript,
          [identifierIndexKey(tenant)],
          [JSON.stringify({ prefix: tenantPrefix(tenant), ...byTenant.get(tenant) })],
        ),
      ),
    );
    return new Set(tenants.filter((_, i) => Number(replies[i]) > 0));
  }

  /**
   * Drops the stored outcomes of messages whose outputs are acknowledged: from then on a
   * redelivery is a plain duplicate. One UNLINK per tenant and chunk of keys (a tenant's keys
   * share one Cluster slot; keys come from redis-keys outcomeKey).
   */
  async forgetOutcomes(keys: readonly string[]): Promise<void> {
    const byTenant = new Map<string, string[]>();
    for (const key of keys) {
      const tag = key.slice(0, key.indexOf('}') + 1);
      const group = byTenant.get(tag);
      if (group === undefined) byTenant.set(tag, [key]);
      else group.push(key);
    }
    const commands: Promise<number>[] = [];
    for (const group of byTenant.values()) {
      const index = outcomeIndexKey(tenantOfKey(group[0]));
      for (let i = 0; i < group.length; i += FORGET_CHUNK) {
        const chunk = group.slice(i, i + FORGET_CHUNK);
        commands.push(this.redis.unlink(...chunk));
        // In the same pipeline: the outcome index keeps only outcomes still stored.
        commands.push(this.redis.srem(index, ...chunk.map(indexEntryOfOutcomeKey)));
      }
    }
    // ioredis pipelines commands issued together on one connection: one round trip.
    await Promise.all(commands);
  }

  /**
   * The live profile holding `type:value` (normalized here, so `email:Ann@X.com ` works), or null.
   * Throws on a malformed identifier: callers taking user input validate it first with
   * normalizeIdentifier.
   */
  async getProfileByIdentifier(
    tenant: string,
    identifier: string,
    rules: IdentityRules = DEFAULT_IDENTITY_RULES,
  ): Promise<ProfileSnapshot | null> {
    const normalized = normalizeIdentifier(identifier, rules);
    if (!normalized.ok)
      throw new Error(`invalid identifier ${JSON.stringify(identifier)}: ${normalized.reason}`);
    return this.readProfile(tenant, 'identifier', normalized.identifier);
  }

  /** The live profile for a profile id, following merged_into pointers; null when unknown. */
  async getProfile(tenant: string, profileId: string): Promise<ProfileSnapshot | null> {
    return this.readProfile(tenant, 'profile', profileId);
  }

  /** Writes one snapshot from the compacted profiles topic back (see restore-profile-1.lua). */
  async restoreProfile(tenant: string, snapshot: ProfileSnapshot): Promise<RestoreResult> {
    const payload = JSON.stringify({
      profileId: snapshot.profileId,
      version: snapshot.version,
      firstSeen: Date.parse(snapshot.firstSeen),
      lastSeen: Date.parse(snapshot.lastSeen),
      identifiers: snapshot.identifiers,
      traits: Object.fromEntries(
        Object.entries(snapshot.traitState).map(([name, e]) => [name, encodeTraitEntry(e)]),
      ),
      mergedFrom: snapshot.mergedFrom,
    });
    const reply = await runLuaScript(
      this.redis,
      this.restoreScript,
      [identifierIndexKey(tenant)],
      [tenantPrefix(tenant), payload],
    );
    if (reply === 'restored' || reply === 'stale' || reply === 'merged') return reply;
    throw new Error(
      `identity graph: unexpected reply restoring profile ${snapshot.profileId}: ${String(reply)}`,
    );
  }

  private async readProfile(
    tenant: string,
    by: 'identifier' | 'profile',
    value: string,
  ): Promise<ProfileSnapshot | null> {
    const reply = await runLuaScript(
      this.redis,
      this.getScript,
      [identifierIndexKey(tenant)],
      [tenantPrefix(tenant), by, value],
    );
    if (reply === null) return null;
    if (typeof reply !== 'string') throw new Error(`identity graph: unexpected reply reading ${by} ${value}`);
    return snapshotFromLua(JSON.parse(reply));
  }
}
