// How fast a consumer group works through records already waiting in its topics. The clock starts
// at the group's first commit, so the group join and the first fetch are not counted against it.
import type { Kafka } from '../../services/common/kafka/kafka-client';

export interface DrainRate {
  records: number;
  /** From the first commit to the last. */
  seconds: number;
  perSecond: number;
  /** From the service's start to its first commit: join, first fetch, first chunk. */
  startupSeconds: number;
}

export interface DrainOptions {
  groupId: string;
  topics: string[];
  label: string;
  timeoutSeconds: number;
  pollMs?: number;
}

type Admin = ReturnType<Kafka['admin']>;

async function recordsHeld(admin: Admin, topics: string[]): Promise<number> {
  let total = 0;
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
  }
  return total;
}

async function recordsCommitted(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  let total = 0;
  for (const r of await admin.fetchOffsets({ groupId, topics })) {
    for (const p of r.partitions) total += Math.max(0, Number(p.offset));
  }
  return total;
}

/** Records currently held by `topics` (high minus low watermark over all partitions). */
export async function recordsIn(kafka: Kafka, topics: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await recordsHeld(admin, topics);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until `groupId` has committed every record of `topics` (a fixed backlog: nothing may be
 * written to them meanwhile), printing progress, and returns the rate between first and last commit.
 */
export async function measureDrain(kafka: Kafka, options: DrainOptions): Promise<DrainRate> {
  const pollMs = options.pollMs ?? 200;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const target = await recordsHeld(admin, options.topics);
    const started = Date.now();
    let first: { at: number; done: number } | null = null;
    let lastReport = started;
    for (;;) {
      const done = await recordsCommitted(admin, options.groupId, options.topics);
      const now = Date.now();
      if (first === null && done > 0) first = { at: now, done };
      if (done >= target) {
        // A backlog drained within one poll has no window of its own; fall back to the whole time.
        const window =
          first !== null && done > first.done
            ? { records: done - first.done, ms: now - first.at }
            : { records: done, ms: now - started };
        const seconds = Math.max(window.ms, 1) / 1000;
        return {
          records: target,
          seconds,
          perSecond: Math.round(window.records / seconds),
          startupSeconds: ((first?.at ?? now) - started) / 1000,
        };
      }
      if (now - lastReport >= 5000) {
        lastReport = now;
        const rate =
          first && done > first.done ? Math.round((done - first.done) / ((now - first.at) / 1000)) : 0;
        process.stderr.write(`bench: ${options.label} ${done}/${target} records (${rate}/s)\n`);
      }
      if (now - started > options.timeoutSeconds * 1000) {
        throw new Error(
          `${options.label}: only ${done} of ${target} records committed after ${options.timeoutSeconds} s`,
        );
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await admin.disconnect();
  }
}
