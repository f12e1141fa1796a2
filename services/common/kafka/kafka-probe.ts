// Readiness of a service that writes to Kafka: can it reach the brokers and see its topic now?
// A failed send is no signal while the service is idle, so the probe asks the cluster, at most
// once per `cacheMs`, and answers within `timeoutMs` whatever the client's own retries do.
import type { Admin } from 'kafkajs';
import type { HealthReport } from '../runtime/service-definition';
import type { Kafka } from './kafka-client';

export interface KafkaProbe {
  check(): Promise<HealthReport>;
  close(): Promise<void>;
}

export function kafkaProbe(
  kafka: Kafka,
  topic: string,
  options: { timeoutMs?: number; cacheMs?: number } = {},
): KafkaProbe {
  const timeoutMs = options.timeoutMs ?? 2000;
  const cacheMs = options.cacheMs ?? 1000;
  let admin: Admin | undefined;
  let last: { at: number; report: HealthReport } | undefined;
  let inFlight: Promise<HealthReport> | undefined;

  async function ask(): Promise<HealthReport> {
    admin ??= kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics[0]?.partitions ?? [];
    const leaderless = partitions.filter((p) => p.leader < 0).length;
    return leaderless === 0
      ? { ok: true, detail: { kafka: 'reachable', topic, partitions: partitions.length } }
      : { ok: false, detail: { kafka: `${leaderless} partition(s) of ${topic} without a leader` } };
  }

  function probe(): Promise<HealthReport> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HealthReport>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, detail: { kafka: `no answer within ${timeoutMs} ms` } }),
        timeoutMs,
      );
    });
    const answer = ask().catch((err: unknown): HealthReport => ({
      ok: false,
      detail: { kafka: `unreachable: ${err instanceof Error ? err.message : String(err)}` },
    }));
    return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
  }

  return {
    async check() {
      if (last !== undefined && Date.now() - last.at < cacheMs) return last.report;
      inFlight ??= probe().then((report) => {
        last = { at: Date.now(), report };
        inFlight = undefined;
        return report;
      });
      return inFlight;
    },
    async close() {
      await admin?.disconnect().catch(() => undefined);
    },
  };
}
