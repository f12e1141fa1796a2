// The import over two threads (import-in-worker.ts) against the import in one (runImport +
// toRawEventMessages) on the same files, with the real schema registry: the same keys and records
// in the same order, the same rejected rows in the same order, the same counters; small batches
// and one unconfirmed chunk make the backpressure turn often. Failures arrive as the error classes
// one thread throws, after the rows rejected before them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AvroCodec } from '../../../services/common/codec/avro-codec';
import { toRawEventMessages } from '../../../services/common/events/event-producer';
import type { OutgoingMessage } from '../../../services/common/kafka/producer';
import { rawEvents, type RawEventRecord } from '../../../services/common/streams/raw-events';
import { MappingError } from '../../../services/import/column-mapping';
import { runImportInWorker } from '../../../services/import/import-in-worker';
import { runImport, type RejectedRow } from '../../../services/import/import-pipeline';
import { ImportFileError } from '../../../services/import/source-row';
import { config, uniqueName } from '../../support/real-stack';

jest.setTimeout(120_000);

const dir = mkdtempSync(path.join(tmpdir(), 'cdp-import-worker-'));
const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
const topic = uniqueName('test.import.worker');
const CRM = path.resolve(__dirname, '../../../examples/crm-export.csv');

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** 1,500 rows, every third without any identifier (rejected): 500 rejected rows, 1,000 events. */
function mixedCsv(): string {
  const lines = ['user_id,email,plan,notes'];
  for (let i = 1; i <= 1500; i++)
    lines.push(i % 3 === 0 ? `,,plan-${i},orphan` : `u-${i},p${i}@example.com,pro,"line one\nline ""two"""`);
  return `${lines.join('\n')}\n`;
}

async function decoded(messages: OutgoingMessage[]) {
  return Promise.all(
    messages.map(async (m) => {
      // Rows without a timestamp column take the time they were read: the only difference.
      const record: Partial<RawEventRecord> = await codec.decodeRecord(rawEvents, m.value);
      delete record.receivedAt;
      delete record.timestamp;
      return { key: m.key, record };
    }),
  );
}

async function oneThread(files: string[]) {
  const messages: OutgoingMessage[] = [];
  const rejected: RejectedRow[] = [];
  const counters = await runImport(files, {
    tenant: 'demo',
    maxEventBytes: 32 * 1024,
    batchSize: 7,
    onRejected: (r) => {
      rejected.push(r);
    },
    sink: {
      add: async (events) => {
        messages.push(...(await toRawEventMessages(events, codec, topic)));
      },
      flush: async () => undefined,
    },
  });
  return { messages: await decoded(messages), rejected, counters };
}

async function twoThreads(files: string[], rejected: RejectedRow[] = []) {
  const messages: OutgoingMessage[] = [];
  const counters = await runImportInWorker(files, {
    tenant: 'demo',
    maxEventBytes: 32 * 1024,
    batchSize: 7,
    maxUnconfirmed: 1,
    registryUrl: config.CDP_SCHEMA_REGISTRY_URL,
    topic,
    onRejected: async (r) => {
      // A slow errors file: the worker must wait, not lose or reorder rows.
      await new Promise((resolve) => setImmediate(resolve));
      rejected.push(r);
    },
    sink: {
      addEncoded: async (batch) => {
        messages.push(...batch);
      },
      flush: async () => undefined,
    },
  });
  return { messages: await decoded(messages), rejected, counters };
}

const counted = ({ rowsRead, rejected, skipped, bytesRead, totalBytes }: Record<string, number>) => ({
  rowsRead,
  rejected,
  skipped,
  bytesRead,
  totalBytes,
});

describe('runImportInWorker', () => {
  it('writes the same keys, records, rejected rows and counters as the import in one thread', async () => {
    const files = [CRM, file('mixed.csv', mixedCsv())];
    const one = await oneThread(files);
    const two = await twoThreads(files);
    expect(one.messages).toHaveLength(20 + 1000);
    expect(two.messages).toEqual(one.messages);
    expect(one.rejected).toHaveLength(1 + 500);
    expect(two.rejected).toEqual(one.rejected);
    expect(counted(two.counters as never)).toEqual(counted(one.counters as never));
    expect(two.counters.sent).toBe(0); // the sink's acknowledgements count `sent`, not the worker
  });

  it('fails with the MappingError of a header that cannot be mapped', async () => {
    const bad = file('twice.csv', 'email,Email,plan\na@example.com,b@example.com,pro\n');
    await expect(twoThreads([bad])).rejects.toBeInstanceOf(MappingError);
  });

  it('fails with the ImportFileError of a file that is not an array, after the rows rejected before it', async () => {
    const rejected: RejectedRow[] = [];
    const orphans = file('orphans.csv', 'plan\npro\nfree\n');
    const notArray = file('object.json', '{"type":"identify"}');
    const failure = twoThreads([orphans, notArray], rejected);
    await expect(failure).rejects.toBeInstanceOf(ImportFileError);
    await expect(failure).rejects.toThrow(/not.*array|array/i);
    expect(rejected.map((r) => [path.basename(r.file), r.row, r.code])).toEqual([
      ['orphans.csv', 2, 'missing_identity'],
      ['orphans.csv', 3, 'missing_identity'],
    ]);
  });
});
