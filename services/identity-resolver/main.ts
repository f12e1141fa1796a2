// Wiring of the identity resolver: tenants' rules, Redis graph, Avro codec, consumer runner.
import { AvroCodec, readTopicSchema } from '../common/codec/avro-codec';
import type { Config } from '../common/config';
import { startConsumerRunner } from '../common/kafka/consumer-runner';
import { createKafka } from '../common/kafka/kafka-client';
import { latestPerKey } from '../common/kafka/latest-per-key';
import { createProducer } from '../common/kafka/producer';
import { TOPICS } from '../common/kafka/topics';
import type { Logger } from '../common/logger';
import { createRedis } from '../common/redis/redis-client';
import { runAsMain } from '../common/runtime/run-services';
import type { RunningService, ServiceDefinition } from '../common/runtime/service-definition';
import { loadTenants, type TenantDirectory } from '../common/tenants';
import { IdentityGraph } from './identity-graph';
import { parseIdentityRules, type IdentityRules } from './identity-rules';
import { PendingOutcomes } from './pending-outcomes';
import { createResolverHandler, type ResolverTopics } from './resolver-handler';

export const RESOLVER_GROUP_ID = 'cdp-identity-resolver';

export const DEFAULT_RESOLVER_TOPICS: ResolverTopics = {
  resolved: TOPICS.eventsResolved,
  changes: TOPICS.profileChanges,
  profiles: TOPICS.profiles,
  merges: TOPICS.identityMerges,
  warnings: TOPICS.ingestionWarnings,
};

/** Which schema each output kind is written with, whatever the topic is called. */
const OUTPUT_SCHEMAS: ResolverTopics = DEFAULT_RESOLVER_TOPICS;

export interface IdentityResolverOverrides {
  /** Tests read and write topics of their own; production uses TOPICS. */
  input?: string;
  dlq?: string;
  outputs?: Partial<ResolverTopics>;
  groupId?: string;
  tenants?: TenantDirectory;
  /** Tests only: keep stored outcomes after the send, as a crash before the clean-up would. */
  keepOutcomes?: boolean;
}

/** Every tenant's rules, compiled once: a bad rule stops start-up with the parse error's line. */
export function compileTenantRules(tenants: TenantDirectory): Map<string, IdentityRules> {
  return new Map(tenants.tenants.map((t) => [t.id, parseIdentityRules(t.identity, t.id)]));
}

export async function startIdentityResolver(
  config: Config,
  logger: Logger,
  overrides: IdentityResolverOverrides = {},
): Promise<RunningService> {
  const rules = compileTenantRules(overrides.tenants ?? loadTenants(config.CDP_TENANTS_FILE));
  const topics: ResolverTopics = { ...DEFAULT_RESOLVER_TOPICS, ...overrides.outputs };
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  // Register up front: an incompatible schema fails start-up, not the first event.
  for (const kind of Object.keys(topics) as (keyof ResolverTopics)[]) {
    await codec.register(topics[kind], readTopicSchema(OUTPUT_SCHEMAS[kind]));
  }
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-identity-resolver');
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-identity-resolver`);
  const producer = await createProducer(kafka);
  const graph = new IdentityGraph(redis);
  const pendingOutcomes = new PendingOutcomes((keys) => graph.forgetOutcomes(keys));
  const handle = createResolverHandler({
    codec,
    graph,
    rulesFor: (tenant) => rules.get(tenant),
    topics,
    pendingOutcomes,
  });
  const runner = await startConsumerRunner({
    kafka,
    producer,
    logger,
    service: 'identity-resolver',
    groupId: overrides.groupId ?? RESOLVER_GROUP_ID,
    topics: [overrides.input ?? TOPICS.eventsRaw],
    dlqTopic: overrides.dlq ?? TOPICS.eventsDlq,
    handle,
    // A hot profile changes many times per chunk; its compacted topic needs only the last snapshot.
    compactOutputs: (outputs) => latestPerKey(outputs, topics.profiles),
    // Outputs acknowledged: a redelivery needs no stored outcome any more.
    afterSend: overrides.keepOutcomes ? undefined : (messages) => pendingOutcomes.release(messages),
    keyConcurrency: config.CDP_KEY_CONCURRENCY,
    partitionsConcurrently: config.CDP_PARTITIONS_CONCURRENTLY,
    retryInitialMs: config.CDP_RETRY_INITIAL_MS,
    retryMaxMs: config.CDP_RETRY_MAX_MS,
  }).catch(async (err: unknown) => {
    await producer.disconnect();
    redis.disconnect();
    throw err;
  });
  return {
    stop: async () => {
      // The runner commits only after the producer acknowledged, so the producer goes last.
      await runner.stop();
      await producer.disconnect();
      await redis.quit();
    },
    healthy: async () => redis.status === 'ready',
  };
}

export const identityResolverService: ServiceDefinition = {
  name: 'identity-resolver',
  description: 'resolves cdp.events.raw.v1 into profiles in the Redis identity graph',
  defaultOpsPort: 9102,
  start: (config, logger) => startIdentityResolver(config, logger),
};

if (require.main === module) runAsMain(identityResolverService);
