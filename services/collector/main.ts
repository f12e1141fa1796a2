// Wiring of the collector: tenants file, Kafka producer, Avro codec, HTTP server.
import type { AddressInfo } from 'node:net';
import { AvroCodec } from '../common/codec/avro-codec';
import type { Config } from '../common/config';
import { createEventProducer } from '../common/events/event-producer';
import { createKafka } from '../common/kafka/kafka-client';
import { kafkaProbe } from '../common/kafka/kafka-probe';
import { createProducer } from '../common/kafka/producer';
import { TOPICS } from '../common/kafka/topics';
import type { Logger } from '../common/logger';
import { runAsMain } from '../common/runtime/run-services';
import { requireTopics } from '../common/runtime/startup-checks';
import type { HealthReport, RunningService, ServiceDefinition } from '../common/runtime/service-definition';
import { loadTenants, type TenantDirectory } from '../common/tenants';
import { buildCollectorApp } from './collector-app';
import { coalescedSender } from './coalesced-sender';
import { createRedis } from '../common/redis/redis-client';
import { SuppressionList } from '../common/privacy/suppression';
import { collectorSuppression } from '../common/privacy/event-identifiers';

export interface RunningCollector extends RunningService {
  /** The bound port (useful when configured as 0). */
  port: number;
}

export interface CollectorOverrides {
  /** Tests write to a topic of their own; production writes to cdp.events.raw.v1. */
  topic?: string;
  tenants?: TenantDirectory;
}

export async function startCollector(
  config: Config,
  logger: Logger,
  overrides: CollectorOverrides = {},
): Promise<RunningCollector> {
  const tenants = overrides.tenants ?? loadTenants(config.CDP_TENANTS_FILE);
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-collector`);
  // Without its topic every event would wait for the produce timeout and get a 503: refuse to start.
  await requireTopics(kafka, [overrides.topic ?? TOPICS.eventsRaw]);
  const producer = await createProducer(kafka, { sendTimeoutMs: config.CDP_COLLECTOR_PRODUCE_TIMEOUT_MS });
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const sender = coalescedSender(producer, { maxQueuedBytes: config.CDP_COLLECTOR_MAX_QUEUED_BYTES });
  const events = createEventProducer({ codec, producer: sender, topic: overrides.topic });
  const probe = kafkaProbe(kafka, events.topic);
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-collector');
  const dropSuppressed = collectorSuppression(new SuppressionList(redis), tenants);
  const health = async (): Promise<HealthReport> => {
    const kafka = await probe.check();
    return { ok: kafka.ok && redis.status === 'ready', detail: { ...kafka.detail, redis: redis.status } };
  };
  const app = await buildCollectorApp({
    tenants,
    publish: (batch) => events.publish(batch),
    limits: {
      maxEventBytes: config.CDP_COLLECTOR_MAX_EVENT_BYTES,
      maxBatchBytes: config.CDP_COLLECTOR_MAX_BATCH_BYTES,
    },
    retryAfterSeconds: config.CDP_COLLECTOR_RETRY_AFTER_SECONDS,
    logger,
    dropSuppressed,
  });
  try {
    await app.listen({ host: config.CDP_COLLECTOR_HOST, port: config.CDP_COLLECTOR_PORT });
  } catch (err) {
    await producer.disconnect();
    redis.disconnect();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info(
    { url: `http://${config.CDP_COLLECTOR_HOST}:${port}`, topic: events.topic },
    'collector listening',
  );
  return {
    port,
    // Closing fastify waits for in-flight requests, whose events are then acknowledged or answered 503.
    stop: async () => {
      await app.close();
      await producer.disconnect();
      await probe.close();
      await redis.quit();
    },
    // Ready while Kafka takes events and Redis answers the suppression check: otherwise every
    // request would be answered 503.
    healthy: async () => (await health()).ok,
    health,
  };
}

export const collectorService: ServiceDefinition = {
  name: 'collector',
  description: 'Segment-compatible HTTP tracking API writing to cdp.events.raw.v1',
  defaultOpsPort: 9101,
  start: (config, logger) => startCollector(config, logger),
};

if (require.main === module) runAsMain(collectorService);
