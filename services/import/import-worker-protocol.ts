// What the import worker (import-worker.ts) and the thread that sends to Kafka (import-in-worker.ts)
// tell each other. The worker reads, maps, checks and encodes; it posts, in file order, chunks of
// rejected rows and batches of encoded messages, and waits for a credit per chunk it posted beyond
// a few (bounded memory). An encoded batch travels as one transferred buffer of the Avro values
// with their offsets, so no event object is copied between threads.
import type { ImportFormat } from './import-file';
import type { ImportType } from './column-mapping';
import type { ImportCounters, RejectedRow } from './import-pipeline';

export interface ImportWorkerData {
  files: string[];
  tenant: string;
  type?: ImportType;
  format?: ImportFormat;
  maps: string[];
  maxEventBytes: number;
  batchSize?: number;
  registryUrl: string;
  /** The topic the schema is registered for (its subject), as `toRawEventMessages` is given. */
  topic: string;
  /** Skip the tenant's suppressed subjects (cdp privacy suppress), checked in the worker per batch. */
  suppression?: { redisUrl: string; identity: unknown };
  /** Chunks posted and not yet credited before the worker waits. */
  maxUnconfirmed: number;
}

/** The counters the worker keeps (the sending thread owns `sent` and `startedAt`). */
export type WorkerCounters = Pick<ImportCounters, 'rowsRead' | 'rejected' | 'skipped' | 'bytesRead'>;

export interface EncodedBatch {
  keys: (string | null)[];
  /** Every value back to back; value i is bytes [ends[i-1] ?? 0, ends[i]). */
  values: ArrayBuffer;
  ends: Uint32Array;
}

export type WorkerMessage =
  | { kind: 'rejected'; rows: RejectedRow[]; counters: WorkerCounters }
  | { kind: 'batch'; batch: EncodedBatch; counters: WorkerCounters }
  /** `cpuSeconds`: the worker thread's CPU time (user + system), for the bench. */
  | { kind: 'done'; counters: WorkerCounters; cpuSeconds: number }
  | { kind: 'failed'; name: string; message: string; stack?: string };

/** Posted back to the worker when the sending thread took a chunk (wrote its rows, queued its batch). */
export interface Credit {
  kind: 'credit';
}

export function packBatch(
  messages: readonly { key: string | Buffer | null; value: Buffer | null }[],
): EncodedBatch {
  let total = 0;
  for (const m of messages) total += m.value?.length ?? 0;
  // A buffer of its own (not Buffer's shared pool), so it can be transferred rather than copied.
  const values = new ArrayBuffer(total);
  const bytes = new Uint8Array(values);
  const ends = new Uint32Array(messages.length);
  let at = 0;
  messages.forEach((m, i) => {
    if (m.value !== null) {
      bytes.set(m.value, at);
      at += m.value.length;
    }
    ends[i] = at;
  });
  return {
    keys: messages.map((m) => (Buffer.isBuffer(m.key) ? m.key.toString('utf8') : m.key)),
    values,
    ends,
  };
}

export function unpackBatch(
  batch: EncodedBatch,
  topic: string,
): { topic: string; key: string | null; value: Buffer }[] {
  const out: { topic: string; key: string | null; value: Buffer }[] = new Array(batch.keys.length);
  let start = 0;
  for (let i = 0; i < batch.keys.length; i++) {
    const end = batch.ends[i] as number;
    out[i] = {
      topic,
      key: batch.keys[i] as string | null,
      value: Buffer.from(batch.values, start, end - start),
    };
    start = end;
  }
  return out;
}
