// The batcher's bounds, serialized flushes, and that rows of a failed insert are kept for the retry.
import { ClickHouseBatcher, type Row } from '../../../services/clickhouse-sink/clickhouse-batcher';

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
    rows.add('t', [{ a: 1 }]);
    expect(rows.isFull()).toBe(false);
    rows.add('u', [{ a: 2 }]);
    expect(rows.isFull()).toBe(true);

    const bytes = new ClickHouseBatcher(insert, { maxRows: 1e9, maxBytes: 20, maxAgeMs: 1e9 }, () => now);
    bytes.add('t', [{ s: 'x'.repeat(30) }]);
    expect(bytes.isFull()).toBe(true);

    const age = new ClickHouseBatcher(insert, { maxRows: 1e9, maxBytes: 1e9, maxAgeMs: 100 }, () => now);
    age.add('t', [{ a: 1 }]);
    expect(age.isFull()).toBe(false);
    now = 100;
    expect(age.isFull()).toBe(true);
  });

  it('inserts one batch per table and empties the buffer', async () => {
    const { inserts, insert } = recorder();
    const b = new ClickHouseBatcher(insert, { maxRows: 10, maxBytes: 1e9, maxAgeMs: 1e9 });
    b.add('events', [{ id: 1 }, { id: 2 }]);
    b.add('profiles', [{ id: 3 }]);
    b.add('events', [{ id: 4 }]);
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
    b.add('events', [{ id: 1 }]);
    await expect(b.flush()).rejects.toThrow('clickhouse down');
    expect(b.bufferedRows).toBe(1);
    b.add('events', [{ id: 2 }]);
    await b.flush();
    expect(inserts).toEqual([{ table: 'events', rows: [{ id: 1 }, { id: 2 }] }]);
  });

  it('makeRoom flushes only when full, and throws when that flush fails', async () => {
    const { inserts, insert } = recorder(1);
    const b = new ClickHouseBatcher(insert, { maxRows: 1, maxBytes: 1e9, maxAgeMs: 1e9 });
    await b.makeRoom();
    expect(inserts).toHaveLength(0);
    b.add('t', [{ id: 1 }]);
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
    b.add('t', [{ id: 1 }]);
    const first = b.flush();
    let secondDone = false;
    const second = b.flush().then(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(done).toEqual([1]);
  });
});
