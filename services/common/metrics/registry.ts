// One Prometheus registry per process; services add their own metrics to it.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'cdp_process_' });

export const runnerMessages = new Counter({
  name: 'cdp_runner_messages_total',
  help: 'Messages handled by a consumer runner, by outcome (ok, dlq).',
  labelNames: ['service', 'topic', 'outcome'] as const,
  registers: [registry],
});

export const runnerRetries = new Counter({
  name: 'cdp_runner_retries_total',
  help: 'Failures retried by a consumer runner, by stage (handle, after-chunk, send).',
  labelNames: ['service', 'stage'] as const,
  registers: [registry],
});

export const runnerChunkSeconds = new Histogram({
  name: 'cdp_runner_chunk_seconds',
  help: 'Time to handle, send the outputs of, and commit one chunk of a fetched batch.',
  labelNames: ['service'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const producedMessages = new Counter({
  name: 'cdp_produced_messages_total',
  help: 'Messages acknowledged by Kafka, by topic.',
  labelNames: ['topic'] as const,
  registers: [registry],
});

export interface RetryingPartition {
  service: string;
  topic: string;
  partition: number;
  seconds: number;
}

const retryingSources = new Set<() => RetryingPartition[]>();

/** Adds a runner's retrying partitions to the gauge below; returns the call that removes them. */
export function reportRetrying(source: () => RetryingPartition[]): () => void {
  retryingSources.add(source);
  return () => retryingSources.delete(source);
}

export const runnerRetryingSeconds = new Gauge({
  name: 'cdp_runner_retrying_seconds',
  help: 'Seconds a partition has been retrying its current chunk; absent once the chunk is committed.',
  labelNames: ['service', 'topic', 'partition'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const source of retryingSources) {
      for (const p of source()) {
        this.set({ service: p.service, topic: p.topic, partition: String(p.partition) }, p.seconds);
      }
    }
  },
});
