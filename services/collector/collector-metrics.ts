// The collector's Prometheus metrics, on the process registry served by the ops server.
import { Counter, Histogram } from 'prom-client';
import { registry } from '../common/metrics/registry';

export const collectorRequests = new Counter({
  name: 'cdp_collector_requests_total',
  help: 'HTTP requests answered by the collector, by route and status code.',
  labelNames: ['route', 'status'] as const,
  registers: [registry],
});

export const collectorEventsAccepted = new Counter({
  name: 'cdp_collector_events_accepted_total',
  help: 'Events acknowledged by Kafka, by tenant and type.',
  labelNames: ['tenant', 'type'] as const,
  registers: [registry],
});

export const collectorEventsRejected = new Counter({
  name: 'cdp_collector_events_rejected_total',
  help: 'Events rejected, by reason (the first issue of each event; kafka_unavailable when not written).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const collectorProduceSeconds = new Histogram({
  name: 'cdp_collector_kafka_produce_seconds',
  help: 'Time from handing a request’s events to Kafka until acks=all (or failure), by outcome.',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const collectorEventsSuppressed = new Counter({
  name: 'cdp_collector_events_suppressed_total',
  help: 'Events dropped before Kafka because they carried an identifier of a suppressed subject, by tenant.',
  labelNames: ['tenant'] as const,
  registers: [registry],
});
