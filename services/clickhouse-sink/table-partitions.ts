// Which column partitions each table the sink writes (PARTITION BY toYYYYMM(column) in
// infra/clickhouse), so a flush can send one insert per month: an insert that touches more
// partitions than max_partitions_per_insert_block (100 by default since ClickHouse 19) is refused
// whole, and would be refused again on every retry. A unit test checks this map against the
// migrations.
import type { Row } from './clickhouse-batcher';

export const MONTH_PARTITION_COLUMNS: Readonly<Record<string, string>> = {
  events: 'timestamp',
  ingestion_warnings: 'occurred_at',
  dead_letters: 'failed_at',
  // Written by the journey engine, not the sink; its rows carry the current time.
  journey_steps: 'at',
  deliveries: 'decided_at',
  segment_membership_changes: 'changed_at',
  computed_trait_values: 'changed_at',
};

/** The month of a row's partition column ('YYYY-MM-DD hh:mm:ss' text): 'YYYY-MM', '' if none. */
function monthOf(row: Row, column: string): string {
  const value = (row as Record<string, unknown>)[column];
  return typeof value === 'string' ? value.slice(0, 7) : '';
}

/** Splits rows into groups of one partition each, keeping their order within a group. */
export function splitByPartition<T>(table: string, items: T[], rowOf: (item: T) => Row): T[][] {
  const column = MONTH_PARTITION_COLUMNS[table];
  if (column === undefined) return items.length > 0 ? [items] : [];
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const month = monthOf(rowOf(item), column);
    const group = groups.get(month);
    if (group) group.push(item);
    else groups.set(month, [item]);
  }
  return [...groups.values()];
}
