// `runImport` over two threads: a worker thread reads, maps, checks and encodes (import-worker.ts);
// this thread writes the rejected rows and sends the encoded batches to Kafka, in the order the
// worker read them. The same rows, messageIds, keys, errors-file lines and counters as one thread;
// the CPU of a large import is spread over two cores (docs/import.md, "Throughput").
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OutgoingMessage } from '../common/kafka/producer';
import { MappingError } from './column-mapping';
import { newCounters, planFiles, type ImportCounters, type ImportOptions } from './import-pipeline';
import {
  unpackBatch,
  type Credit,
  type ImportWorkerData,
  type WorkerCounters,
  type WorkerMessage,
} from './import-worker-protocol';
import { ImportFileError } from './source-row';

export interface WorkerImportOptions extends Pick<
  ImportOptions,
  'tenant' | 'type' | 'format' | 'maps' | 'maxEventBytes' | 'batchSize' | 'onRejected' | 'counters'
> {
  /** The schema registry the worker encodes with. */
  registryUrl: string;
  topic: string;
  /** Where encoded batches go (a raw event sender). */
  sink: { addEncoded(messages: OutgoingMessage[]): Promise<void>; flush(): Promise<void> };
  /** Skip the tenant's suppressed subjects, as `cdp import` does (checked by the worker, per batch). */
  suppression?: { redisUrl: string; identity: unknown };
  /** Chunks (batches or rejected rows) the worker may have posted and this thread not yet taken. */
  maxUnconfirmed?: number;
  /** Hears the worker thread's CPU seconds at the end (the bench reports them). */
  onWorkerCpu?: (seconds: number) => void;
}

/** The worker's failure as the error class one thread would have thrown (the CLI words it). */
function errorOf(m: Extract<WorkerMessage, { kind: 'failed' }>): Error {
  const err =
    m.name === 'ImportFileError'
      ? new ImportFileError(m.message)
      : m.name === 'MappingError'
        ? new MappingError(m.message)
        : Object.assign(new Error(m.message), { name: m.name });
  if (m.stack !== undefined) err.stack = m.stack;
  return err;
}

/** The worker's thread; under jest this module is TypeScript, and so is the worker (through tsx). */
function startWorker(data: ImportWorkerData): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `import-worker${ext}`);
  if (ext !== '.ts') return new Worker(file, { workerData: data });
  const script = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
  return new Worker(script, { eval: true, workerData: data });
}

export async function runImportInWorker(
  files: readonly string[],
  options: WorkerImportOptions,
): Promise<ImportCounters> {
  const counters = options.counters ?? newCounters();
  // A missing file or an unknown format fails here, before a thread starts.
  const plan = await planFiles(files, options.format);
  counters.totalBytes = plan.reduce((sum, p) => sum + p.size, 0);
  const data: ImportWorkerData = {
    files: [...files],
    tenant: options.tenant,
    type: options.type,
    format: options.format,
    maps: [...(options.maps ?? [])],
    maxEventBytes: options.maxEventBytes,
    batchSize: options.batchSize,
    registryUrl: options.registryUrl,
    topic: options.topic,
    suppression: options.suppression,
    maxUnconfirmed: options.maxUnconfirmed ?? 4,
  };
  const worker = startWorker(data);
  const take = (c: WorkerCounters) => {
    counters.rowsRead = c.rowsRead;
    counters.rejected = c.rejected;
    counters.skipped = c.skipped;
    counters.bytesRead = c.bytesRead;
  };
  const credit = () => worker.postMessage({ kind: 'credit' } satisfies Credit);
  try {
    await new Promise<void>((resolve, reject) => {
      // Messages are handled one after another, in the order the worker posted them.
      let handled: Promise<void> = Promise.resolve();
      let finished = false;
      const fail = (err: unknown) => {
        finished = true;
        reject(err);
      };
      // The worker's last word arrived: its thread ending afterwards is expected.
      let lastWord = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.kind === 'done' || m.kind === 'failed') lastWord = true;
        handled = handled.then(async () => {
          if (finished) return;
          switch (m.kind) {
            case 'rejected':
              for (const row of m.rows) await options.onRejected(row);
              take(m.counters);
              credit();
              return;
            case 'batch':
              take(m.counters);
              await options.sink.addEncoded(unpackBatch(m.batch, options.topic));
              credit();
              return;
            case 'done':
              take(m.counters);
              options.onWorkerCpu?.(m.cpuSeconds);
              finished = true;
              resolve();
              return;
            case 'failed':
              fail(errorOf(m));
          }
        });
        handled.catch(fail);
      });
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!finished && !lastWord)
          fail(new Error(`the import worker stopped (exit code ${code}) before the end of the files`));
      });
    });
    await options.sink.flush();
    return counters;
  } finally {
    await worker.terminate();
  }
}
