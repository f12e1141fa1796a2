// The import worker thread: runs `runImport` (read, map, the collector's checks, messageIds, the
// suppression check) and encodes each batch with `toRawEventMessages`, while the thread that
// started it sends to Kafka (import-in-worker.ts). One implementation of the import; this file
// only moves its output across threads.
import { parentPort, workerData } from 'node:worker_threads';
import { AvroCodec } from '../common/codec/avro-codec';
import { toRawEventMessages } from '../common/events/event-producer';
import { suppressedEventsOf } from '../common/privacy/event-identifiers';
import { SuppressionList } from '../common/privacy/suppression';
import { createRedis, type Redis } from '../common/redis/redis-client';
import { parseIdentityRules } from '../identity-resolver/identity-rules';
import { newCounters, runImport, type ImportCounters, type RejectedRow } from './import-pipeline';
import {
  packBatch,
  type Credit,
  type ImportWorkerData,
  type WorkerCounters,
  type WorkerMessage,
} from './import-worker-protocol';

/** Rejected rows posted together (fewer messages); posted earlier before a batch or at the end. */
const REJECTED_PER_CHUNK = 500;

async function main(port: NonNullable<typeof parentPort>, data: ImportWorkerData): Promise<void> {
  const counters: ImportCounters = newCounters();
  const snapshot = (): WorkerCounters => ({
    rowsRead: counters.rowsRead,
    rejected: counters.rejected,
    skipped: counters.skipped,
    bytesRead: counters.bytesRead,
  });
  let unconfirmed = 0;
  let wake: (() => void) | undefined;
  port.on('message', (m: Credit) => {
    if (m.kind !== 'credit') return;
    unconfirmed -= 1;
    wake?.();
  });
  async function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): Promise<void> {
    port.postMessage(message, transfer);
    unconfirmed += 1;
    while (unconfirmed >= data.maxUnconfirmed) await new Promise<void>((resolve) => (wake = resolve));
  }
  let rejected: RejectedRow[] = [];
  async function postRejected(): Promise<void> {
    if (rejected.length === 0) return;
    const rows = rejected;
    rejected = [];
    await post({ kind: 'rejected', rows, counters: snapshot() });
  }

  const codec = new AvroCodec(data.registryUrl);
  let redis: Redis | undefined;
  try {
    let skipEvents;
    if (data.suppression !== undefined) {
      redis = createRedis(data.suppression.redisUrl, 'cdp-import');
      skipEvents = suppressedEventsOf(
        new SuppressionList(redis),
        data.tenant,
        parseIdentityRules(data.suppression.identity, data.tenant),
      );
    }
    await runImport(data.files, {
      tenant: data.tenant,
      type: data.type,
      format: data.format,
      maps: data.maps,
      maxEventBytes: data.maxEventBytes,
      batchSize: data.batchSize,
      counters,
      skipEvents,
      onRejected: async (row) => {
        rejected.push(row);
        if (rejected.length >= REJECTED_PER_CHUNK) await postRejected();
      },
      sink: {
        async add(events) {
          const batch = packBatch(await toRawEventMessages(events, codec, data.topic));
          // The rows rejected before this batch go first, as they were read.
          await postRejected();
          await post({ kind: 'batch', batch, counters: snapshot() }, [batch.values]);
        },
        async flush() {
          await postRejected();
        },
      },
    });
    await postRejected();
    const cpu = process.threadCpuUsage();
    port.postMessage({
      kind: 'done',
      counters: snapshot(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    } satisfies WorkerMessage);
  } catch (err) {
    // The rows rejected before the failure still reach the errors file, as in one thread.
    await postRejected().catch(() => undefined);
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({
      kind: 'failed',
      name: e.name,
      message: e.message,
      stack: e.stack,
    } satisfies WorkerMessage);
  } finally {
    redis?.disconnect();
    // No more credits to wait for: the thread may end.
    port.unref();
  }
}

if (parentPort !== null) void main(parentPort, workerData as ImportWorkerData);
