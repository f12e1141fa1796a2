// The SQL of the profile API's ClickHouse reads and the opaque cursor of the events route. Pure:
// every value enters the SQL through escape-sql.ts (18.16 has no query parameters).
import { sqlIdentifier, sqlInList, sqlNumber, sqlString } from '../common/clickhouse/escape-sql';

/** Like Segment's profile API: without `since`, events of the last 14 days. */
export const DEFAULT_EVENTS_WINDOW_SECONDS = 14 * 24 * 3600;
export const MAX_EVENTS_LIMIT = 1000;

/**
 * Where the next page starts: the last row returned, as the keyset (timestamp, message id) of the
 * newest-first order, plus the window start so every page of one listing uses the same window.
 */
export interface EventsCursor {
  /** Epoch seconds of the last row's timestamp. */
  ts: number;
  messageId: string;
  /** Epoch seconds: the window start of the first page. */
  since: number;
}

export function encodeCursor(cursor: EventsCursor): string {
  return Buffer.from(JSON.stringify([cursor.ts, cursor.messageId, cursor.since]), 'utf8').toString(
    'base64url',
  );
}

/** undefined for anything this service did not write. */
export function decodeCursor(text: string): EventsCursor | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length !== 3) return undefined;
  const [ts, messageId, since] = raw as unknown[];
  if (!Number.isSafeInteger(ts) || !Number.isSafeInteger(since) || typeof messageId !== 'string')
    return undefined;
  if ((ts as number) < 0 || (since as number) < 0) return undefined;
  return { ts: ts as number, messageId, since: since as number };
}

export interface EventsQuery {
  database: string;
  tenant: string;
  /** The live profile id and every id merged into it (the rows' profile_id is any of them). */
  profileIds: readonly string[];
  /** Epoch seconds, inclusive. */
  since: number;
  limit: number;
  event?: string | undefined;
  after?: EventsCursor | undefined;
}

/**
 * The ids merged into a profile as ClickHouse knows them (profile_overrides is flat: every
 * descendant points at the root), for the events query's list.
 */
export function mergedIdsSql(database: string, tenant: string, profileId: string): string {
  return [
    'SELECT old_profile_id AS id',
    `FROM ${sqlIdentifier(database)}.profile_overrides FINAL`,
    `WHERE tenant = ${sqlString(tenant)} AND override_profile_id = ${sqlString(profileId)}`,
  ].join('\n');
}

/** Newest first; one row more than `limit` so the caller knows whether a next page exists. */
export function eventsSql(q: EventsQuery): string {
  if (q.profileIds.length === 0) throw new Error('eventsSql: no profile id');
  // The events table's key is (tenant, day, event, message_id): nothing narrows it to one profile
  // below the tenant's days of the window. So the profile's ids are a literal list in PREWHERE:
  // ClickHouse reads the narrow profile_id column of the window and the wide JSON columns only
  // where it matched. Neither FINAL (it merges every row of the window, all columns, before any
  // filter) nor an IN subquery (18.16 then reads all columns too): a replayed event's copies are
  // identical and folded by LIMIT 1 BY message_id instead.
  const where = [`tenant = ${sqlString(q.tenant)}`, `timestamp >= toDateTime(${sqlNumber(q.since)})`];
  if (q.event !== undefined) where.push(`event = ${sqlString(q.event)}`);
  if (q.after !== undefined) {
    const ts = `toDateTime(${sqlNumber(q.after.ts)})`;
    // Keyset, not OFFSET: the page after a row is what sorts strictly below it.
    where.push(`(timestamp < ${ts} OR (timestamp = ${ts} AND message_id < ${sqlString(q.after.messageId)}))`);
  }
  return [
    'SELECT message_id, type, event, name, toUInt32(timestamp) AS ts, toUInt32(received_at) AS received,',
    '  properties, traits, context',
    `FROM ${sqlIdentifier(q.database)}.events`,
    `PREWHERE profile_id IN ${sqlInList(q.profileIds)}`,
    `WHERE ${where.join('\n  AND ')}`,
    'ORDER BY timestamp DESC, message_id DESC',
    'LIMIT 1 BY message_id',
    `LIMIT ${sqlNumber(q.limit + 1)}`,
  ].join('\n');
}

/** Current memberships: FINAL keeps the highest version per (segment, profile). */
export function segmentsSql(database: string, tenant: string, profileId: string): string {
  return [
    'SELECT segment_id, toUInt32(changed_at) AS changed',
    `FROM ${sqlIdentifier(database)}.segment_membership FINAL`,
    `WHERE tenant = ${sqlString(tenant)} AND profile_id = ${sqlString(profileId)} AND status = 'in'`,
    'ORDER BY segment_id',
  ].join('\n');
}
