// Key layout of the journey engine, inside the tenant's hash tag (identity-resolver/redis-keys.ts),
// so one script can touch a tenant's profiles, timers and outboxes together.
//   {t:<tenant>}:j:b:<bucket>      hash  <packed profile id> -> the profile's journey state
//                                        (journey-state.ts), 4096 buckets per tenant
//   {t:<tenant>}:j:timers          zset  `<packed profile id>|<journeyId>|<seq>` -> due epoch ms
//   {t:<tenant>}:j:out             stream  actions not yet acknowledged by Kafka
//   {t:<tenant>}:j:log             stream  step log rows not yet inserted into ClickHouse
//   {t:<tenant>}:j:def:<journeyId> hash  version -> body, for instances still on an older version
// Why buckets: a key of its own costs a profile about 100 bytes before it holds anything (key name,
// its object and keyspace entry); a field in a bucket kept as a listpack (up to 512 fields of up to
// 64 bytes, Redis's defaults) costs its bytes and 2-3 more. 4096 buckets keep a tenant's buckets
// listpacks up to about 2 million profiles with journey state; past that they become hash tables
// (about 200 bytes a profile: still less than a key each). docs/journeys.md "State in Redis".
import { tenantPrefix } from '../identity-resolver/redis-keys';

export const BUCKET_COUNT = 4096;

export const bucketPrefix = (tenant: string) => `${tenantPrefix(tenant)}:j:b:`;
export const timersKey = (tenant: string) => `${tenantPrefix(tenant)}:j:timers`;
export const actionsOutboxKey = (tenant: string) => `${tenantPrefix(tenant)}:j:out`;
export const stepLogOutboxKey = (tenant: string) => `${tenantPrefix(tenant)}:j:log`;
export const journeyVersionsKey = (tenant: string, journeyId: string) =>
  `${tenantPrefix(tenant)}:j:def:${journeyId}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A profile id as stored (bucket field, timer member): the resolver's ids are lower-case UUIDs, kept
 * as their 16 bytes in base64url (22 characters instead of 36); any other id as `.` and itself.
 */
export function packProfileId(profileId: string): string {
  return UUID.test(profileId)
    ? Buffer.from(profileId.replaceAll('-', ''), 'hex').toString('base64url')
    : `.${profileId}`;
}

export function unpackProfileId(packed: string): string {
  if (packed.startsWith('.')) return packed.slice(1);
  const hex = Buffer.from(packed, 'base64url').toString('hex');
  if (packed.length !== 22 || hex.length !== 32) throw new Error(`not a packed profile id: ${packed}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The bucket hash holding a profile's journey state and the field in it. The bucket is the top 12
 * bits of FNV-1a (32 bits) over the id's UTF-16 code units: fixed for ever (it places stored state),
 * cheap on every read and commit, and even enough over UUIDs and other ids.
 */
export function profileLocation(tenant: string, profileId: string): { key: string; field: string } {
  let h = 0x811c9dc5;
  for (let i = 0; i < profileId.length; i++) h = Math.imul(h ^ profileId.charCodeAt(i), 0x01000193);
  const bucket = (h >>> 0) >>> (32 - Math.log2(BUCKET_COUNT));
  return { key: `${bucketPrefix(tenant)}${bucket.toString(16)}`, field: packProfileId(profileId) };
}

export function timerMember(profileId: string, journeyId: string, seq: number): string {
  return `${packProfileId(profileId)}|${journeyId}|${seq.toString(36)}`;
}

/** Journey ids and seqs hold no `|`; a packed profile id may, so it is everything before the last two. */
export function parseTimerMember(
  member: string,
): { profileId: string; journeyId: string; seq: number } | null {
  const parts = member.split('|');
  if (parts.length < 3) return null;
  const seqText = parts.pop()!;
  const seq = /^[0-9a-z]+$/.test(seqText) ? parseInt(seqText, 36) : NaN;
  const journeyId = parts.pop()!;
  if (!Number.isInteger(seq)) return null;
  try {
    return { profileId: unpackProfileId(parts.join('|')), journeyId, seq };
  } catch {
    return null;
  }
}
