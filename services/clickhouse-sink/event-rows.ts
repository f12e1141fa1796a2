// cdp.events.resolved.v1 record -> events row. properties stay a JSON string; their top-level keys
// and values are also flattened into two arrays so filters work without JSONExtract (18.16).
import { isJsonObject } from '../common/events/json-object';
import { toClickHouseDateTime } from './clickhouse-datetime';
import { asRecord, num, optStr, str } from './record-fields';

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

/** Top-level properties as parallel arrays; strings as-is, anything else as its JSON text. */
export function flattenProperties(json: string): { keys: string[]; values: string[] } {
  const keys: string[] = [];
  const values: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // The raw string is still stored; only the filter arrays stay empty.
    return { keys, values };
  }
  if (!isJsonObject(parsed)) return { keys, values };
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    keys.push(key);
    values.push(typeof value === 'string' ? value : JSON.stringify(value));
  }
  return { keys, values };
}

export function eventRow(decoded: unknown): EventRow {
  const r = asRecord(decoded, 'resolved event');
  const properties = optStr(r, 'properties');
  const flat = properties === '' ? { keys: [], values: [] } : flattenProperties(properties);
  return {
    tenant: str(r, 'tenant'),
    message_id: str(r, 'messageId'),
    type: str(r, 'type'),
    event: optStr(r, 'event'),
    name: optStr(r, 'name'),
    user_id: optStr(r, 'userId'),
    anonymous_id: optStr(r, 'anonymousId'),
    previous_id: optStr(r, 'previousId'),
    group_id: optStr(r, 'groupId'),
    profile_id: str(r, 'profileId'),
    timestamp: toClickHouseDateTime(num(r, 'timestamp')),
    received_at: toClickHouseDateTime(num(r, 'receivedAt')),
    resolved_at: toClickHouseDateTime(num(r, 'resolvedAt')),
    properties,
    traits: optStr(r, 'traits'),
    context: optStr(r, 'context'),
    prop_keys: flat.keys,
    prop_values: flat.values,
  };
}
