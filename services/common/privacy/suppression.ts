// The suppression list: identifiers whose events must not enter the platform, per tenant, in Redis.
// Stored as SHA-256 digests, so the list itself does not hold the identifiers it blocks. Two hashes:
//   {t:<tenant>}:privacy:suppressed   digest -> request id of a `suppress` (lasts until unsuppress)
//   {t:<tenant>}:privacy:erasing      digest -> request id of a `delete` in progress (released when
//                                     the delete completes: suppress first, then delete, so events
//                                     in flight cannot bring the person back while stores are cleaned)
//   {t:<tenant>}:privacy:group:<requestId>  set of the digests one suppress request blocked, so
//                                     unsuppress of one identifier lifts the whole subject
// A membership check of any number of identifiers is one round trip (one pipeline of two HMGETs);
// a batch of events (`suppressedAmong`) is at most two.
import { hash } from 'node:crypto';
import type { Redis } from '../redis/redis-client';
import { tenantPrefix } from '../../identity-resolver/redis-keys';

export function suppressedKey(tenant: string): string {
  return `${tenantPrefix(tenant)}:privacy:suppressed`;
}

export function erasingKey(tenant: string): string {
  return `${tenantPrefix(tenant)}:privacy:erasing`;
}

export function suppressionGroupKey(tenant: string, requestId: string): string {
  return `${tenantPrefix(tenant)}:privacy:group:${requestId}`;
}

/** Digest of a normalized `type:value` identifier. */
export function identifierDigest(identifier: string): string {
  return hash('sha256', identifier, 'hex');
}

/**
 * The hashes a check of `tenant` reads, suppressed list first; the identity resolver looks its
 * event's digests up in them inside its own graph script (resolve-event-4.lua), in the same round
 * trip as the apply, with the same rule as `isSuppressed`.
 */
export function suppressionKeys(tenant: string): [suppressed: string, erasing: string] {
  return [suppressedKey(tenant), erasingKey(tenant)];
}

/** What the collector and `cdp import` call: true when any identifier is blocked. */
export type SuppressionCheck = (tenant: string, identifiers: readonly string[]) => Promise<boolean>;

export class SuppressionList {
  constructor(private readonly redis: Redis) {}

  /** Blocks the identifiers for good (until unsuppress). */
  async suppress(tenant: string, identifiers: readonly string[], requestId: string): Promise<void> {
    if (identifiers.length === 0) return;
    const digests = identifiers.map(identifierDigest);
    const fields: string[] = [];
    for (const d of digests) fields.push(d, requestId);
    await this.redis
      .multi()
      .hset(suppressedKey(tenant), ...fields)
      .sadd(suppressionGroupKey(tenant, requestId), ...digests)
      .exec();
  }

  /**
   * Lifts the suppression of every identifier suppressed together with `identifier` (the whole
   * subject of that request). Returns how many identifiers were lifted (0: it was not suppressed).
   */
  async unsuppress(tenant: string, identifier: string): Promise<number> {
    const requestId = await this.redis.hget(suppressedKey(tenant), identifierDigest(identifier));
    if (requestId === null) return 0;
    const group = suppressionGroupKey(tenant, requestId);
    const digests = await this.redis.smembers(group);
    const all = digests.length > 0 ? digests : [identifierDigest(identifier)];
    const [[, removed]] = (await this.redis
      .multi()
      .hdel(suppressedKey(tenant), ...all)
      .del(group)
      .exec()) as [[unknown, number], [unknown, number]];
    return removed;
  }

  /** Blocks the identifiers while a delete runs; a suppression already in place is kept as it is. */
  async holdDuringErasure(tenant: string, identifiers: readonly string[], requestId: string): Promise<void> {
    if (identifiers.length === 0) return;
    const fields: string[] = [];
    for (const i of identifiers) fields.push(identifierDigest(i), requestId);
    await this.redis.hset(erasingKey(tenant), ...fields);
  }

  /** Ends the hold of a completed delete (the permanent list is untouched). */
  async releaseErasure(tenant: string, identifiers: readonly string[]): Promise<void> {
    if (identifiers.length === 0) return;
    await this.redis.hdel(erasingKey(tenant), ...identifiers.map(identifierDigest));
  }

  /** True when any of the identifiers is suppressed or held by a delete in progress. */
  readonly isSuppressed: SuppressionCheck = async (tenant, identifiers) => {
    if (identifiers.length === 0) return false;
    const digests = identifiers.map(identifierDigest);
    // Auto-pipelined by ioredis: both commands leave in one write, one round trip.
    const [held, erasing] = await Promise.all([
      this.redis.hmget(suppressedKey(tenant), ...digests),
      this.redis.hmget(erasingKey(tenant), ...digests),
    ]);
    return held.some((v) => v !== null) || erasing.some((v) => v !== null);
  };

  /**
   * For each item, true when any of its identifiers is suppressed or held by a delete in progress:
   * what `isSuppressed` answers per item, for a whole batch in at most two round trips. The first
   * asks whether the tenant holds anything at all; when it does not (the usual case), identifiers
   * are never extracted nor hashed. Otherwise one HMGET per hash asks for every distinct digest.
   */
  async suppressedAmong<T>(
    tenant: string,
    items: readonly T[],
    identifiersOf: (item: T) => readonly string[],
  ): Promise<boolean[]> {
    const none = items.map(() => false);
    if (items.length === 0) return none;
    if ((await this.redis.exists(suppressedKey(tenant), erasingKey(tenant))) === 0) return none;
    const digestsOf = items.map((item) => identifiersOf(item).map(identifierDigest));
    const distinct = [...new Set(digestsOf.flat())];
    if (distinct.length === 0) return none;
    const [held, erasing] = await Promise.all([
      this.redis.hmget(suppressedKey(tenant), ...distinct),
      this.redis.hmget(erasingKey(tenant), ...distinct),
    ]);
    const blocked = new Set(distinct.filter((_d, i) => held[i] !== null || erasing[i] !== null));
    return digestsOf.map((digests) => digests.some((d) => blocked.has(d)));
  }

  /** Number of identifiers suppressed for good in a tenant. */
  async size(tenant: string): Promise<number> {
    return this.redis.hlen(suppressedKey(tenant));
  }
}
