// The whole import without Kafka: files on disk -> rows -> collector checks -> a sink in memory.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CdpEvent } from '../../../services/common/events/event-model';
import { importMessageId } from '../../../services/import/import-message-id';
import { fileSha256 } from '../../../services/import/import-file';
import { runImport, type ImportOptions, type RejectedRow } from '../../../services/import/import-pipeline';

const dir = mkdtempSync(path.join(tmpdir(), 'cdp-import-'));
function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function run(files: string[], options: Partial<ImportOptions> = {}) {
  const events: CdpEvent[] = [];
  const rejected: RejectedRow[] = [];
  const counters = await runImport(files, {
    tenant: 'demo',
    maxEventBytes: 32 * 1024,
    onRejected: (r) => {
      rejected.push(r);
    },
    sink: {
      add: async (batch) => {
        events.push(...batch);
      },
      flush: async () => undefined,
    },
    batchSize: 2,
    now: () => Date.parse('2024-06-01T00:00:00Z'),
    ...options,
  });
  return { events, rejected, counters };
}

const CSV =
  'user_id,email,plan,timestamp\nu1,ann@example.com,pro,2024-01-02T03:04:05Z\nu2,,free,\n,,orphan,\nu4,bo@example.com,pro,yesterday\n';

describe('runImport', () => {
  it('sends valid rows through the collector checks with derived messageIds and reports the rest', async () => {
    const f = file('people.csv', CSV);
    const { events, rejected, counters } = await run([f]);
    const hash = await fileSha256(f);
    expect(events.map((e) => [e.messageId, e.type, e.userId, e.traits, e.timestamp])).toEqual([
      [
        importMessageId('demo', hash, 2),
        'identify',
        'u1',
        { email: 'ann@example.com', plan: 'pro' },
        '2024-01-02T03:04:05.000Z',
      ],
      [importMessageId('demo', hash, 3), 'identify', 'u2', { plan: 'free' }, '2024-06-01T00:00:00.000Z'],
    ]);
    expect(events[0]?.tenant).toBe('demo');
    expect(rejected.map((r) => [r.row, r.line, r.column, r.code])).toEqual([
      [4, 4, 'user_id', 'missing_identity'],
      [5, 5, 'timestamp', 'invalid_timestamp'],
    ]);
    expect(rejected[1]?.raw).toBe('u4,bo@example.com,pro,yesterday');
    expect(counters).toMatchObject({ rowsRead: 4, rejected: 2, skipped: 0 });
  });

  it('gives the same messageIds on a second import, and a gzipped copy reads the same rows', async () => {
    const f = file('again.csv', CSV);
    const first = await run([f]);
    const second = await run([f]);
    expect(second.events.map((e) => e.messageId)).toEqual(first.events.map((e) => e.messageId));
    const gz = await run([file('again.csv.gz', gzipSync(CSV))]);
    expect(gz.events.map((e) => [e.userId, e.traits])).toEqual(first.events.map((e) => [e.userId, e.traits]));
  });

  it('reads NDJSON and JSON arrays of Segment messages, keeping a message its own messageId', async () => {
    const lines = [
      { type: 'track', userId: 'u1', event: 'Order Completed', properties: { total: 5 } },
      { type: 'track', userId: 'u1', event: 'Order Completed', messageId: 'own-id' },
      { type: 'track', userId: 'u1' },
    ];
    const nd = await run([file('e.ndjson', lines.map((l) => JSON.stringify(l)).join('\n'))]);
    expect(nd.events.map((e) => e.messageId)).toEqual([
      importMessageId('demo', await fileSha256(path.join(dir, 'e.ndjson')), 1),
      'own-id',
    ]);
    expect(nd.rejected.map((r) => [r.row, r.code])).toEqual([[3, 'missing_event']]);
    const arr = await run([file('e.json', JSON.stringify(lines))]);
    expect(arr.events.map((e) => e.event)).toEqual(['Order Completed', 'Order Completed']);
  });

  it('applies the per-event size limit of the collector', async () => {
    const { rejected } = await run([file('big.csv', `user_id,note\nu1,${'x'.repeat(200)}\n`)], {
      maxEventBytes: 100,
    });
    expect(rejected.map((r) => r.code)).toEqual(['event_too_large']);
  });

  it('counts rows the skipEvents hook holds back and does not send them', async () => {
    const { events, counters } = await run([file('skip.csv', CSV)], {
      skipEvents: (batch) => batch.map((e) => e.userId === 'u1'),
    });
    expect(events.map((e) => e.userId)).toEqual(['u2']);
    expect(counters.skipped).toBe(1);
  });

  it('hands batches on in order while later skip checks answer first, and fails when a check fails', async () => {
    const rows = Array.from({ length: 9 }, (_, i) => `u${i + 1},p${i + 1}@example.com,pro,`).join('\n');
    const f = file('slow-skip.csv', `user_id,email,plan,timestamp\n${rows}\n`);
    let calls = 0;
    // Batches of 2: the first check answers last; u5 is skipped.
    const slowFirst = (batch: readonly CdpEvent[]) => {
      const delay = calls++ === 0 ? 30 : 0;
      return new Promise<boolean[]>((resolve) =>
        setTimeout(() => resolve(batch.map((e) => e.userId === 'u5')), delay),
      );
    };
    const { events, counters } = await run([f], { skipEvents: slowFirst });
    expect(events.map((e) => e.userId)).toEqual(['u1', 'u2', 'u3', 'u4', 'u6', 'u7', 'u8', 'u9']);
    expect(counters.skipped).toBe(1);
    let n = 0;
    const failing = async (batch: readonly CdpEvent[]) => {
      if (n++ === 1) throw new Error('redis down');
      return batch.map(() => false);
    };
    await expect(run([f], { skipEvents: failing })).rejects.toThrow('redis down');
  });

  it('refuses a missing file, an unknown format and --map on NDJSON before reading anything', async () => {
    await expect(run([path.join(dir, 'missing.csv')])).rejects.toThrow(/cannot read .*missing.csv: ENOENT/);
    await expect(run([file('x.txt', 'a')])).rejects.toThrow(/cannot tell the format/);
    await expect(run([file('m.ndjson', '{}')], { maps: ['a=userId'] })).rejects.toThrow(
      /--map applies to CSV files only/,
    );
  });
});
