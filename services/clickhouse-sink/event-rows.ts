// cdp.events.resolved.v1 record -> events row. properties stay a JSON string; their top-level keys
// and values are also flattened into two arrays so filters work without JSONExtract (18.16).
import { flattenProperties } from '../common/events/flat-json';
import type { ResolvedEventRecord } from '../common/streams/resolved-events';
import { toClickHouseDateTime } from './clickhouse-datetime';

export { flattenProperties };

export interface EventRow {
  tenant: string;
  message_id: string;
  type: string;
  event: string;
  name: string;
  user_id: string;
  anonymous_id: string;
  previous_id: string;
  group_id: string;
  profile_id: string;
  timestamp: string;
  received_at: string;
  resolved_at: string;
  properties: string;
  traits: string;
  context: string;
  prop_keys: string[];
  prop_values: string[];
}

/** Absent values are '': the tables use plain String columns (no Nullable on hot paths). */
export function eventRow(r: ResolvedEventRecord): EventRow {
  const flat = r.properties === null ? { keys: [], values: [] } : flattenProperties(r.properties);
  return {
    tenant: r.tenant,
    message_id: r.messageId,
    type: r.type,
    event: r.event ?? '',
    name: r.name ?? '',
    user_id: r.userId ?? '',
    anonymous_id: r.anonymousId ?? '',
    previous_id: r.previousId ?? '',
    group_id: r.groupId ?? '',
    profile_id: r.profileId,
    timestamp: toClickHouseDateTime(r.timestamp),
    received_at: toClickHouseDateTime(r.receivedAt),
    resolved_at: toClickHouseDateTime(r.resolvedAt),
    properties: r.properties ?? '',
    traits: r.traits ?? '',
    context: r.context ?? '',
    prop_keys: flat.keys,
    prop_values: flat.values,
  };
}
