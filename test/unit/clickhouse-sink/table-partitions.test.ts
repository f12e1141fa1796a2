// One insert per partition needs the sink to know each table's partition column: checked against
// the migrations, so a new partitioned table cannot be forgotten.
import { loadMigrations } from '../../../services/common/clickhouse/migrator';
import {
  MONTH_PARTITION_COLUMNS,
  splitByPartition,
} from '../../../services/clickhouse-sink/table-partitions';

describe('MONTH_PARTITION_COLUMNS', () => {
  it('matches the PARTITION BY of every table in infra/clickhouse', () => {
    const fromMigrations: Record<string, string> = {};
    for (const migration of loadMigrations()) {
      for (const statement of migration.statements) {
        const table = /CREATE TABLE IF NOT EXISTS \{db\}\.(\w+)/.exec(statement)?.[1];
        const partition = /PARTITION BY\s+(.+)/.exec(statement)?.[1]?.trim();
        if (table === undefined || partition === undefined) continue;
        const column = /^toYYYYMM\((\w+)\)$/.exec(partition)?.[1];
        // Any other partition expression needs its own rule in table-partitions.ts.
        expect([table, column]).toEqual([table, expect.any(String)]);
        fromMigrations[table] = column as string;
      }
    }
    expect(fromMigrations).toEqual(MONTH_PARTITION_COLUMNS);
  });
});

describe('splitByPartition', () => {
  const row = (id: number, at: string) => ({ id, timestamp: at });
  it('groups rows by month in first-seen order, keeping row order within a month', () => {
    const rows = [
      row(1, '2026-03-01 00:00:00'),
      row(2, '2019-12-31 23:59:59'),
      row(3, '2026-03-31 10:00:00'),
    ];
    expect(splitByPartition('events', rows, (r) => r)).toEqual([[rows[0], rows[2]], [rows[1]]]);
  });
  it('leaves an unpartitioned table whole, and an empty one empty', () => {
    const rows = [row(1, '2026-03-01 00:00:00'), row(2, '2019-12-31 23:59:59')];
    expect(splitByPartition('profiles', rows, (r) => r)).toEqual([rows]);
    expect(splitByPartition('profiles', [], (r) => r)).toEqual([]);
  });
});
