// Buffers rows per table and inserts them together. Bounded by rows, bytes and age so memory stays
// bounded inside a large chunk; flushes are serialized so a caller's flush() also covers rows taken
// by a flush that was already in flight.
//
// Each row remembers the consumed record it came from. A flush sends one insert per table and
// partition (month), so no insert exceeds max_partitions_per_insert_block. When ClickHouse refuses
// an insert because of the data (insert-error-class.ts), the batch is bisected until the refused
// rows are alone: the others are inserted, and each refused row's record is kept for
// takeRefused(), so the runner dead-letters it with the chunk's outputs. When the server is unwell
// instead, the rows not yet inserted go back into the buffer and the flush rejects; the next flush
// (after the runner's backoff) retries them and nothing is lost.
import type { ConsumedMessage } from '../common/kafka/consumed-message';
import { classifyInsertError, insertErrorReason } from './insert-error-class';
import { splitByPartition } from './table-partitions';

export type Row = object;

/** Inserts rows into one table; resolves only once the store acknowledged them. */
export type InsertRows = (table: string, rows: Row[]) => Promise<void>;

export interface BatcherLimits {
  maxRows: number;
  maxBytes: number;
  maxAgeMs: number;
}

/** A row ClickHouse refused for what it contains, and the record it came from. */
export interface RefusedRow {
  source: ConsumedMessage;
  table: string;
  reason: string;
}

interface BufferedRow {
  row: Row;
  source: ConsumedMessage;
  bytes: number;
}

interface TableBuffer {
  rows: BufferedRow[];
  bytes: number;
}

/** An insert stopped by an outage: `remaining` were not inserted and go back into the buffer. */
class InsertInterrupted extends Error {
  constructor(
    readonly remaining: BufferedRow[],
    override readonly cause: unknown,
  ) {
    super('insert interrupted');
  }
}

function sourceKey(message: ConsumedMessage): string {
  return `${message.topic}\u0000${message.partition}\u0000${message.offset}`;
}

export class ClickHouseBatcher {
  private buffers = new Map<string, TableBuffer>();
  private rowCount = 0;
  private byteCount = 0;
  private oldestAt: number | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Refused rows by source record; one entry per record however many of its rows were refused. */
  private refused = new Map<string, RefusedRow>();

  constructor(
    private readonly insert: InsertRows,
    private readonly limits: BatcherLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get bufferedRows(): number {
    return this.rowCount;
  }

  get bufferedBytes(): number {
    return this.byteCount;
  }

  /** Records with refused rows not yet taken by takeRefused(). */
  get refusedRecords(): number {
    return this.refused.size;
  }

  add(table: string, rows: Row[], source: ConsumedMessage): void {
    if (rows.length === 0) return;
    const buffer = this.buffers.get(table) ?? { rows: [], bytes: 0 };
    for (const row of rows) {
      // The JSONEachRow text length is what goes over the wire, so it is the byte bound's measure.
      const bytes = Buffer.byteLength(JSON.stringify(row)) + 1;
      buffer.rows.push({ row, source, bytes });
      buffer.bytes += bytes;
      this.byteCount += bytes;
    }
    this.rowCount += rows.length;
    this.buffers.set(table, buffer);
    this.oldestAt ??= this.now();
  }

  isFull(): boolean {
    return (
      this.rowCount >= this.limits.maxRows ||
      this.byteCount >= this.limits.maxBytes ||
      (this.oldestAt !== undefined && this.now() - this.oldestAt >= this.limits.maxAgeMs)
    );
  }

  /** Flushes when a bound is reached; call before buffering more so a failure buffers nothing twice. */
  async makeRoom(): Promise<void> {
    if (this.isFull()) await this.flush();
  }

  /**
   * Resolves once every row buffered before the call is in the store or refused for its data;
   * rejects if an insert failed for another reason.
   */
  flush(): Promise<void> {
    const next = this.chain.catch(() => undefined).then(() => this.flushNow());
    this.chain = next;
    return next;
  }

  /**
   * Takes the refused rows that came from `messages` (a chunk, after its flush resolved). Rows of
   * another partition's chunk may be refused by this chunk's flush; they wait for their own chunk,
   * so a record is dead-lettered before its own offset is committed, never after. Entries of a chunk
   * abandoned by a rebalance stay until that record is refused again here (same key), or for good
   * if its partition moved away: a few small entries, never rows.
   */
  takeRefused(messages: ConsumedMessage[]): RefusedRow[] {
    const taken: RefusedRow[] = [];
    for (const message of messages) {
      const key = sourceKey(message);
      const refused = this.refused.get(key);
      if (refused === undefined) continue;
      this.refused.delete(key);
      taken.push(refused);
    }
    return taken;
  }

  private async flushNow(): Promise<void> {
    const taken = [...this.buffers.entries()];
    this.buffers = new Map();
    this.rowCount = 0;
    this.byteCount = 0;
    this.oldestAt = undefined;
    // Tables are independent inserts: sent together, one round trip's latency per flush, not one per table.
    const results = await Promise.allSettled(
      taken.map(([table, buffer]) => this.insertTable(table, buffer.rows)),
    );
    let firstCause: unknown;
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      const table = taken[i]?.[0] as string;
      const interrupted = result.reason instanceof InsertInterrupted ? result.reason : undefined;
      // A bug (not an insert failure) keeps every row of the table, to be safe.
      this.restore(table, interrupted?.remaining ?? taken[i]?.[1].rows ?? []);
      firstCause ??= interrupted ? interrupted.cause : result.reason;
    });
    if (results.some((r) => r.status === 'rejected')) throw firstCause;
  }

  /** One insert per partition; a batch refused for its data is halved until the refused rows are alone. */
  private async insertTable(table: string, rows: BufferedRow[]): Promise<void> {
    // A stack whose end is inserted next: partitions, then bisected halves, in row order.
    const work = splitByPartition(table, rows, (r) => r.row).reverse();
    for (let batch = work.pop(); batch !== undefined; batch = work.pop()) {
      try {
        await this.insert(
          table,
          batch.map((r) => r.row),
        );
      } catch (err) {
        if (classifyInsertError(err) === 'retry') {
          throw new InsertInterrupted([...batch, ...work.reverse().flat()], err);
        }
        if (batch.length === 1) {
          this.refuse(table, batch[0] as BufferedRow, insertErrorReason(err));
          continue;
        }
        const half = Math.ceil(batch.length / 2);
        work.push(batch.slice(half), batch.slice(0, half));
      }
    }
  }

  private refuse(table: string, row: BufferedRow, reason: string): void {
    const key = sourceKey(row.source);
    if (!this.refused.has(key)) this.refused.set(key, { source: row.source, table, reason });
  }

  /** Puts rows that were not inserted back in front of anything buffered meanwhile. */
  private restore(table: string, rows: BufferedRow[]): void {
    if (rows.length === 0) return;
    const bytes = rows.reduce((sum, r) => sum + r.bytes, 0);
    const current = this.buffers.get(table);
    this.buffers.set(table, {
      rows: [...rows, ...(current?.rows ?? [])],
      bytes: bytes + (current?.bytes ?? 0),
    });
    this.rowCount += rows.length;
    this.byteCount += bytes;
    this.oldestAt = this.now();
  }
}
