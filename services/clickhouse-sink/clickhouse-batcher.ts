// Buffers rows per table and inserts them together. Bounded by rows, bytes and age so memory stays
// bounded inside a large chunk; flushes are serialized so a caller's flush() also covers rows taken
// by a flush that was already in flight; rows of a failed insert go back into the buffer, so the
// next flush (after the runner's backoff) retries them and nothing is lost.

export type Row = object;

/** Inserts rows into one table; resolves only once the store acknowledged them. */
export type InsertRows = (table: string, rows: Row[]) => Promise<void>;

export interface BatcherLimits {
  maxRows: number;
  maxBytes: number;
  maxAgeMs: number;
}

interface TableBuffer {
  rows: Row[];
  bytes: number;
}

export class ClickHouseBatcher {
  private buffers = new Map<string, TableBuffer>();
  private rowCount = 0;
  private byteCount = 0;
  private oldestAt: number | undefined;
  private chain: Promise<void> = Promise.resolve();

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

  add(table: string, rows: Row[]): void {
    if (rows.length === 0) return;
    const buffer = this.buffers.get(table) ?? { rows: [], bytes: 0 };
    for (const row of rows) {
      // The JSONEachRow text length is what goes over the wire, so it is the byte bound's measure.
      const bytes = Buffer.byteLength(JSON.stringify(row)) + 1;
      buffer.rows.push(row);
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

  /** Resolves once every row buffered before the call is in the store; rejects if an insert failed. */
  flush(): Promise<void> {
    const next = this.chain.catch(() => undefined).then(() => this.flushNow());
    this.chain = next;
    return next;
  }

  private async flushNow(): Promise<void> {
    const taken = [...this.buffers.entries()];
    this.buffers = new Map();
    this.rowCount = 0;
    this.byteCount = 0;
    this.oldestAt = undefined;
    // Tables are independent inserts: sent together, one round trip's latency per flush, not one per table.
    const results = await Promise.allSettled(taken.map(([table, buffer]) => this.insert(table, buffer.rows)));
    const failed = taken.filter((_, i) => results[i]?.status === 'rejected');
    if (failed.length > 0) {
      this.restore(failed);
      const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw first?.reason;
    }
  }

  /** Puts rows of failed inserts back in front of anything buffered meanwhile. */
  private restore(entries: [string, TableBuffer][]): void {
    for (const [table, buffer] of entries) {
      const current = this.buffers.get(table);
      this.buffers.set(table, {
        rows: [...buffer.rows, ...(current?.rows ?? [])],
        bytes: buffer.bytes + (current?.bytes ?? 0),
      });
      this.rowCount += buffer.rows.length;
      this.byteCount += buffer.bytes;
    }
    this.oldestAt = this.now();
  }
}
