// The profile API's two ClickHouse reads: a profile's events (mapped through profile_overrides like events_resolved, so events sent before
// a merge belong to the survivor) and its current segment memberships.
import { queryRows, type ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { encodeCursor, eventsSql, mergedIdsSql, segmentsSql, type EventsQuery } from './events-query';

export interface ProfileEvent {
  message_id: string;
  type: string;
  event: string;
  name: string;
  /** ISO 8601 (seconds: the precision ClickHouse keeps). */
  timestamp: string;
  received_at: string;
  properties: unknown;
  traits: unknown;
  context: unknown;
}

export interface EventsPage {
  events: ProfileEvent[];
  /** null on the last page. */
  next_cursor: string | null;
}

interface EventRow {
  message_id: string;
  type: string;
  event: string;
  name: string;
  ts: number;
  received: number;
  properties: string;
  traits: string;
  context: string;
}

const iso = (epochSeconds: number): string =>
  new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');

/** The sink writes these columns with JSON.stringify, or '' when the event had none (null here). */
function json(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The ids merged into `profileId` per profile_overrides (the events_resolved view's mapping). */
export async function readMergedIds(
  client: ClickHouseClient,
  database: string,
  tenant: string,
  profileId: string,
): Promise<string[]> {
  const found = await queryRows<{ id: string }>(client, mergedIdsSql(database, tenant, profileId));
  return found.map((r) => r.id);
}

export async function readEventsPage(client: ClickHouseClient, q: EventsQuery): Promise<EventsPage> {
  const found = await queryRows<EventRow>(client, eventsSql(q));
  const page = found.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    events: page.map((r) => ({
      message_id: r.message_id,
      type: r.type,
      event: r.event,
      name: r.name,
      timestamp: iso(Number(r.ts)),
      received_at: iso(Number(r.received)),
      properties: json(r.properties),
      traits: json(r.traits),
      context: json(r.context),
    })),
    next_cursor:
      found.length > q.limit && last !== undefined
        ? encodeCursor({ ts: Number(last.ts), messageId: last.message_id, since: q.since })
        : null,
  };
}

export interface SegmentMembership {
  segment_id: string;
  /** When the profile's current membership began (ISO 8601). */
  entered_at: string;
}

export async function readSegments(
  client: ClickHouseClient,
  database: string,
  tenant: string,
  profileId: string,
): Promise<SegmentMembership[]> {
  const found = await queryRows<{ segment_id: string; changed: number }>(
    client,
    segmentsSql(database, tenant, profileId),
  );
  return found.map((r) => ({ segment_id: r.segment_id, entered_at: iso(Number(r.changed)) }));
}
