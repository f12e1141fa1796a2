// Deleting subjects' rows from ClickHouse: count, ALTER TABLE ... DELETE (a mutation, the only
// delete 18.16 has), wait until the table has no unfinished mutation, count again. Rows inserted
// after a mutation was submitted are not deleted by it, so the count is repeated (and the mutation
// re-issued) until it is 0; the suppression that runs first keeps new rows from arriving.
//
// A mutation on 18.16 rewrites every part of its table, however few rows it deletes: its cost grows
// with the table, not with the subject, and other tenants share the server. So the requests handled
// at the same time are erased together (`ClickHouseEraser`): the subjects waiting for a table are
// counted in one query (a countIf per subject, over the rows of any of them), deleted by one
// mutation (one condition over the union of their keys: personal-data-tables.ts whereAnySubject)
// and counted again in one query; a table where none of them has rows gets no mutation at all; at
// most `maxMutations` mutations of this process run at once, and they run at most `mutationDuty` of
// the time (mutation-pacer.ts). Each request still gets its own counts, as if erased alone.
import { queryRows, type ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier, sqlString } from '../common/clickhouse/escape-sql';
import { whereAnySubject, type PersonalDataTable, type SubjectKeys } from './personal-data-tables';
import { MutationPacer, type PacerClock } from './mutation-pacer';
import { privacyClickHouseMutations, privacyClickHouseQueries } from './privacy-metrics';

export interface TableErasure {
  table: string;
  removed: number;
  remaining: number;
}

const MAX_ROUNDS = 5;

/** Rows of each subject, in one query; an empty list asks nothing. */
export async function countEach(
  clickhouse: ClickHouseClient,
  database: string,
  table: PersonalDataTable,
  subjects: readonly SubjectKeys[],
): Promise<number[]> {
  if (subjects.length === 0) return [];
  privacyClickHouseQueries.inc({ kind: 'count' });
  // Each countIf tests only the rows the one-set-per-list WHERE let through: the subjects' own.
  const counts = subjects.map((s, i) => `countIf(${table.where(s)}) AS n${i}`);
  const [row = {}] = await queryRows<Record<string, string | number>>(
    clickhouse,
    `SELECT ${counts.join(', ')} FROM ${sqlIdentifier(database)}.${sqlIdentifier(table.table)} WHERE ${whereAnySubject(table, subjects)}`,
  );
  return subjects.map((_, i) => Number(row[`n${i}`] ?? 0));
}

async function unfinishedMutations(clickhouse: ClickHouseClient, database: string, table: string) {
  privacyClickHouseQueries.inc({ kind: 'poll' });
  const rows = await queryRows<{ n: string | number }>(
    clickhouse,
    `SELECT count() AS n FROM system.mutations WHERE database = ${sqlString(database)} AND table = ${sqlString(table)} AND is_done = 0`,
  );
  return Number(rows[0]?.n ?? 0);
}

export async function waitForMutations(
  clickhouse: ClickHouseClient,
  database: string,
  table: string,
  pollMs: number,
  timeoutMs = 600_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await unfinishedMutations(clickhouse, database, table)) > 0) {
    if (Date.now() > deadline)
      throw new Error(`ClickHouse mutations on ${database}.${table} unfinished after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export interface TableErasureRequest {
  table: PersonalDataTable;
  subject: SubjectKeys;
  /** Rows counted before the mutation by an earlier, interrupted run (reported as removed). */
  before?: number;
  /** Records the count taken before the mutation; awaited before the mutation is submitted. */
  recordBefore(rows: number): Promise<void>;
}

export interface EraserOptions {
  /** Wait between polls of system.mutations. */
  pollMs?: number;
  /** How long the first request for a table waits for others to join its mutation. */
  gatherMs?: number;
  /**
   * Characters of the subjects' conditions in one batch at most: the count query holds each once
   * and their union once, and must stay below the server's max_query_size (256 KiB). A larger
   * subject goes alone.
   */
  maxConditionChars?: number;
  /** Mutations of this process running at once, every table together. */
  maxMutations?: number;
  /** Share of the time the mutations may run (mutation-pacer.ts); 1: back to back. */
  mutationDuty?: number;
  /** Tests: the pacer's clock. */
  pacerClock?: PacerClock;
}

interface Waiting {
  request: TableErasureRequest;
  resolve(result: TableErasure): void;
  reject(err: unknown): void;
}

/** Erases subjects' rows table by table, the requests waiting for the same table together. */
export class ClickHouseEraser {
  private readonly queues = new Map<string, Waiting[]>();
  private readonly busy = new Set<string>();
  private running = 0;
  private readonly slots: (() => void)[] = [];
  private readonly pollMs: number;
  private readonly gatherMs: number;
  private readonly maxConditionChars: number;
  private readonly maxMutations: number;
  private readonly pacer: MutationPacer;

  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly database: string,
    options: EraserOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.gatherMs = options.gatherMs ?? 50;
    this.maxConditionChars = options.maxConditionChars ?? 96 * 1024;
    this.maxMutations = options.maxMutations ?? 1;
    this.pacer = new MutationPacer(options.mutationDuty ?? 1, options.pacerClock);
  }

  /** Deletes the subject's rows of one table: removed (the first count) and the follow-up count. */
  erase(request: TableErasureRequest): Promise<TableErasure> {
    const name = request.table.table;
    return new Promise<TableErasure>((resolve, reject) => {
      const queue = this.queues.get(name) ?? [];
      queue.push({ request, resolve, reject });
      this.queues.set(name, queue);
      if (!this.busy.has(name)) {
        this.busy.add(name);
        setTimeout(() => void this.drain(name), this.gatherMs);
      }
    });
  }

  /** Runs the table's batches one after the other while requests wait for it. */
  private async drain(name: string): Promise<void> {
    for (;;) {
      const queue = this.queues.get(name) ?? [];
      if (queue.length === 0) {
        this.queues.delete(name);
        this.busy.delete(name);
        return;
      }
      let chars = 0;
      let take = 0;
      while (take < queue.length) {
        const w = queue[take]!;
        chars += w.request.table.where(w.request.subject).length;
        if (take > 0 && chars > this.maxConditionChars) break;
        take++;
      }
      const batch = queue.splice(0, take);
      try {
        const results = await this.eraseBatch(batch.map((w) => w.request));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
  }

  private async eraseBatch(requests: readonly TableErasureRequest[]): Promise<TableErasure[]> {
    const table = requests[0]!.table;
    const subjects = requests.map((r) => r.subject);
    const first = await countEach(this.clickhouse, this.database, table, subjects);
    // Recorded before the mutation: a restart after it still reports what it removed.
    await Promise.all(
      requests.map((r, i) => (r.before === undefined ? r.recordBefore(first[i]!) : undefined)),
    );
    const remaining = [...first];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const left = remaining.flatMap((n, i) => (n > 0 ? [i] : []));
      if (left.length === 0) break;
      const condition = whereAnySubject(
        table,
        left.map((i) => subjects[i]!),
      );
      await this.oneMutationAtATime(async () => {
        privacyClickHouseMutations.inc({ table: table.table });
        await this.clickhouse.command({
          query: `ALTER TABLE ${sqlIdentifier(this.database)}.${sqlIdentifier(table.table)} DELETE WHERE ${condition}`,
        });
        await waitForMutations(this.clickhouse, this.database, table.table, this.pollMs);
      });
      const after = await countEach(
        this.clickhouse,
        this.database,
        table,
        left.map((i) => subjects[i]!),
      );
      left.forEach((i, k) => (remaining[i] = after[k]!));
    }
    return requests.map((r, i) => ({
      table: table.table,
      removed: Math.max(r.before ?? 0, first[i]!) - remaining[i]!,
      remaining: remaining[i]!,
    }));
  }

  private async oneMutationAtATime(mutate: () => Promise<void>): Promise<void> {
    if (this.running >= this.maxMutations) await new Promise<void>((r) => this.slots.push(r));
    else this.running++;
    try {
      await this.pacer.run(mutate);
    } finally {
      const next = this.slots.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }
}
