// The batcher's bounds, serialized flushes, that rows of a failed insert are kept for the retry,
// one insert per partition, and rows refused for their data isolated by bisection.
import { ClickHouseBatcher, type Row } from '../../../services/clickhouse-sink/clickhouse-batcher';
import type { ConsumedMessage } from '../../../services/common/kafka/consumed-message';

function source(offset: number, partition = 0): ConsumedMessage {
  return {
    topic: 'in',
    partition,
    offset: String(offset),
    key: null,
    value: null,
    headers: {},
    timestamp: 0,
  };
}

function recorder(failTimes = 0) {
  const inserts: { table: string; rows: Row[] }[] = [];
  let failures = failTimes;
  const insert = async (table: string, rows: Row[]) => {
    if (failures > 0) {
      failures--;
      throw new Error('clickhouse down');
    }
    inserts.push({ table, rows });
  };
  return { inserts, insert };
}

describe('ClickHouseBatcher', () => {
  it('is full at the row, byte or age bound', () => {
    let now = 0;
    const { insert } = recorder();
    const rows = new ClickHouseBatcher(insert, { maxRows: 2, maxBytes: 1e9, maxAgeMs: 1e9 }, () => now);
    rows.add('t', [{ a: 1 }], source(0));
    expect(rows.isFull()).toBe(false);
    rows.add('u', [{ a: 2 }], source(0));
    expect(rows.isFull()).toBe(true);

    const bytes = new ClickHouseBatcher(insert, { maxRows: 1e9, maxBytes: 20, maxAgeMs: 1e9 }, () => now);
    bytes.add('t', [{ s: 'x'.repeat(30) }], source(0));
    expect(bytes.isFull()).toBe(true);

    const age = new ClickHouseBatcher(insert, { maxRows: 1e9, maxBytes: 1e9, maxAgeMs: 100 }, () => now);
    age.add('t', [{ a: 1 }], source(0));
    expect(age.isFull()).toBe(false);
    now = 100;
    expect(age.isFull()).toBe(true);
  });

  it('inserts one batch per table and empties the buffer', async () => {
    const { inserts, insert } = recorder();
    const b = new ClickHouseBatcher(insert, { maxRows: 10, maxBytes: 1e9, maxAgeMs: 1e9 });
    b.add('events', [{ id: 1 }, { id: 2 }], source(0));
    b.add('profiles', [{ id: 3 }], source(0));
    b.add('events', [{ id: 4 }], source(0));
    await b.flush();
    expect(inserts).toEqual([
      { table: 'events', rows: [{ id: 1 }, { id: 2 }, { id: 4 }] },
      { table: 'profiles', rows: [{ id: 3 }] },
    ]);
    expect(b.bufferedRows).toBe(0);
    expect(b.bufferedBytes).toBe(0);
    await b.flush();
    expect(inserts).toHaveLength(2);
  });

  it('keeps the rows of a failed insert, in order, for the next flush', async () => {
    const { inserts, insert } = recorder(1);
    const b = new ClickHouseBatcher(insert, { maxRows: 10, maxBytes: 1e9, maxAgeMs: 1e9 });
    b.add('events', [{ id: 1 }], source(0));
    await expect(b.flush()).rejects.toThrow('clickhouse down');
    expect(b.bufferedRows).toBe(1);
    b.add('events', [{ id: 2 }], source(0));
    await b.flush();
    expect(inserts).toEqual([{ table: 'events', rows: [{ id: 1 }, { id: 2 }] }]);
  });

  it('makeRoom flushes only when full, and throws when that flush fails', async () => {
    const { inserts, insert } = recorder(1);
    const b = new ClickHouseBatcher(insert, { maxRows: 1, maxBytes: 1e9, maxAgeMs: 1e9 });
    await b.makeRoom();
    expect(inserts).toHaveLength(0);
    b.add('t', [{ id: 1 }], source(0));
    await expect(b.makeRoom()).rejects.toThrow();
    await b.makeRoom();
    expect(inserts).toEqual([{ table: 't', rows: [{ id: 1 }] }]);
  });

  it('a flush resolves only after an earlier in-flight flush that took its rows', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const done: number[] = [];
    const b = new ClickHouseBatcher(
      async (_table, rows) => {
        await gate;
        done.push(rows.length);
      },
      { maxRows: 10, maxBytes: 1e9, maxAgeMs: 1e9 },
    );
    b.add('t', [{ id: 1 }], source(0));
    const first = b.flush();
    let secondDone = false;
    const second = b.flush().then(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(done).toEqual([1]);
  });

  it('sends one insert per month of a partitioned table, and unpartitioned tables whole', async () => {
    const { inserts, insert } = recorder();
    const b = new ClickHouseBatcher(insert, { maxRows: 100, maxBytes: 1e9, maxAgeMs: 1e9 });
    b.add('events', [{ id: 1, timestamp: '2026-01-31 23:59:59' }], source(1));
    b.add('events', [{ id: 2, timestamp: '2025-02-01 00:00:00' }], source(2));
    b.add('events', [{ id: 3, timestamp: '2026-01-01 00:00:00' }], source(3));
    b.add('profiles', [{ id: 4 }, { id: 5 }], source(4));
    await b.flush();
    const ids = (table: string) =>
      inserts.filter((i) => i.table === table).map((i) => i.rows.map((r) => (r as { id: number }).id));
    expect(ids('events')).toEqual([[1, 3], [2]]);
    expect(ids('profiles')).toEqual([[4, 5]]);
  });

  describe('rows refused for their data', () => {
    const refusing = (inserted: Row[], calls: Row[][]) => async (_table: string, rows: Row[]) => {
      calls.push(rows);
      if (rows.some((r) => (r as { bad?: boolean }).bad)) {
        throw new Error('Code: 25, e.displayText() = DB::Exception: Cannot parse escape sequence');
      }
      inserted.push(...rows);
    };

    it('inserts the good rows and keeps each refused row’s record for the DLQ', async () => {
      const inserted: Row[] = [];
      const calls: Row[][] = [];
      const b = new ClickHouseBatcher(refusing(inserted, calls), {
        maxRows: 100,
        maxBytes: 1e9,
        maxAgeMs: 1e9,
      });
      for (let i = 0; i < 64; i++) b.add('t', [{ id: i, bad: i === 3 || i === 40 }], source(i));
      await b.flush();
      const ids = inserted.map((r) => (r as { id: number }).id).sort((x, y) => x - y);
      expect(ids).toEqual([...Array(64).keys()].filter((i) => i !== 3 && i !== 40));
      // Bisection, not one insert per row: a few halvings around each bad row.
      expect(calls.length).toBeLessThan(30);
      expect(b.refusedRecords).toBe(2);
      const refused = b.takeRefused([source(0), source(3), source(40)]);
      expect(refused.map((r) => [r.source.offset, r.table])).toEqual([
        ['3', 't'],
        ['40', 't'],
      ]);
      expect(refused[0]?.reason).toContain('Code: 25');
      expect(b.refusedRecords).toBe(0);
      expect(b.bufferedRows).toBe(0);
    });

    it('reports a record once however many of its rows were refused, and only to its own chunk', async () => {
      const b = new ClickHouseBatcher(refusing([], []), { maxRows: 100, maxBytes: 1e9, maxAgeMs: 1e9 });
      b.add('profiles', [{ bad: true }], source(5, 1));
      b.add('identities', [{ bad: true }, { bad: true }], source(5, 1));
      b.add('identities', [{ bad: true }], source(6, 2));
      await b.flush();
      expect(b.takeRefused([source(5, 2)])).toEqual([]);
      expect(b.takeRefused([source(5, 1)])).toHaveLength(1);
      expect(b.takeRefused([source(6, 2)])).toHaveLength(1);
    });

    it('an outage during bisection puts back only the rows not inserted yet', async () => {
      const inserted: Row[] = [];
      let outage = false;
      let outages = 0;
      let calls = 0;
      const b = new ClickHouseBatcher(
        async (_table, rows) => {
          calls++;
          if (outage) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          if (rows.some((r) => (r as { bad?: boolean }).bad)) throw new Error('Code: 72, Unsigned type');
          inserted.push(...rows);
          // The server goes away once, right after the first good half landed.
          if (outages++ === 0) outage = true;
        },
        { maxRows: 100, maxBytes: 1e9, maxAgeMs: 1e9 },
      );
      for (let i = 0; i < 4; i++) b.add('t', [{ id: i, bad: i === 3 }], source(i));
      await expect(b.flush()).rejects.toThrow('ECONNREFUSED');
      expect(inserted).toEqual([
        { id: 0, bad: false },
        { id: 1, bad: false },
      ]);
      expect(b.bufferedRows).toBe(2);
      outage = false;
      await b.flush();
      expect(inserted.map((r) => (r as { id: number }).id)).toEqual([0, 1, 2]);
      expect(b.takeRefused([source(3)])).toHaveLength(1);
      expect(calls).toBeGreaterThan(3);
    });
  });
});
