// Deleting a subject's rows from ClickHouse: count, ALTER TABLE ... DELETE (a mutation, the only
// delete 18.16 has), wait until the table has no unfinished mutation, count again. Rows inserted
// after a mutation was submitted are not deleted by it, so the count is repeated (and the mutation
// re-issued) until it is 0; the suppression that runs first keeps new rows from arriving.
import type { ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../common/clickhouse/escape-sql';
import type { PersonalDataTable, SubjectKeys } from './personal-data-tables';
import { privacyClickHouseMutations, privacyClickHouseQueries } from './privacy-metrics';

export interface TableErasure {
  table: string;
  removed: number;
  remaining: number;
}

const POLL_MS = 100;
const MAX_ROUNDS = 5;

export async function countRows(
  clickhouse: ClickHouseClient,
  database: string,
  table: PersonalDataTable,
  subject: SubjectKeys,
): Promise<number> {
  privacyClickHouseQueries.inc({ kind: 'count' });
  const rs = await clickhouse.query({
    query: `SELECT count() AS n FROM ${sqlIdentifier(database)}.${sqlIdentifier(table.table)} WHERE ${table.where(subject)}`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ n: string | number }>();
  return Number(rows[0]?.n ?? 0);
}

async function unfinishedMutations(clickhouse: ClickHouseClient, database: string, table: string) {
  privacyClickHouseQueries.inc({ kind: 'poll' });
  const rs = await clickhouse.query({
    query: `SELECT count() AS n FROM system.mutations WHERE database = ${sqlString(database)} AND table = ${sqlString(table)} AND is_done = 0`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ n: string | number }>();
  return Number(rows[0]?.n ?? 0);
}

export async function waitForMutations(
  clickhouse: ClickHouseClient,
  database: string,
  table: string,
  timeoutMs = 600_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await unfinishedMutations(clickhouse, database, table)) > 0) {
    if (Date.now() > deadline)
      throw new Error(`ClickHouse mutations on ${database}.${table} unfinished after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Deletes the subject's rows of one table. `before` (when known from an earlier, interrupted run)
 * is reported as removed, so a restart does not under-report what the request removed.
 */
export async function eraseTable(
  clickhouse: ClickHouseClient,
  database: string,
  table: PersonalDataTable,
  subject: SubjectKeys,
  before?: number,
): Promise<TableErasure> {
  const first = await countRows(clickhouse, database, table, subject);
  let remaining = first;
  for (let round = 0; round < MAX_ROUNDS && remaining > 0; round++) {
    privacyClickHouseMutations.inc({ table: table.table });
    await clickhouse.command({
      query: `ALTER TABLE ${sqlIdentifier(database)}.${sqlIdentifier(table.table)} DELETE WHERE ${table.where(subject)}`,
    });
    await waitForMutations(clickhouse, database, table.table);
    remaining = await countRows(clickhouse, database, table, subject);
  }
  return { table: table.table, removed: Math.max(before ?? 0, first) - remaining, remaining };
}
