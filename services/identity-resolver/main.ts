// The identity resolver as a stream processor: tenants' rules, Redis graph and Avro codec in; the
// frame (common/runtime/stream-processor.ts) owns Kafka, the runner, stop order and health.
import { AvroCodec } from '../common/codec/avro-codec';
import type { Config } from '../common/config';
import { latestPerKey } from '../common/kafka/latest-per-key';
import { TOPICS } from '../common/kafka/topics';
import type { Logger } from '../common/logger';
import { createRedis } from '../common/redis/redis-client';
import { runAsMain } from '../common/runtime/run-services';
import { defineStreamProcessor, type RunningProcessor } from '../common/runtime/stream-processor';
import { loadTenants, type TenantDirectory } from '../common/tenants';
import { createAfterSend } from './after-send';
import { IdentityGraph } from './identity-graph';
import { parseIdentityRules, type IdentityRules } from './identity-rules';
import { PendingOutputs } from './pending-outputs';
import { createResolverHandler, type ResolverTopics } from './resolver-handler';
import { OUTPUT_STREAMS, type OutputKind } from './resolver-outputs';
import type { SnapshotGuardDeps } from './snapshot-guard';

export const RESOLVER_GROUP_ID = 'cdp-identity-resolver';

export const DEFAULT_RESOLVER_TOPICS: ResolverTopics = {
  resolved: TOPICS.eventsResolved,
  changes: TOPICS.profileChanges,
  profiles: TOPICS.profiles,
  merges: TOPICS.identityMerges,
  warnings: TOPICS.ingestionWarnings,
};

export interface IdentityResolverOptions {
  /** Tests bring their own tenants; production reads CDP_TENANTS_FILE. */
  tenants?: TenantDirectory;
  /** Tests only: keep stored outcomes after the send, as a crash before the clean-up would. */
  keepOutcomes?: boolean;
}

/** Every tenant's rules, compiled once: a bad rule stops start-up with the parse error's line. */
export function compileTenantRules(tenants: TenantDirectory): Map<string, IdentityRules> {
  return new Map(tenants.tenants.map((t) => [t.id, parseIdentityRules(t.identity, t.id)]));
}

export const identityResolver = defineStreamProcessor<'raw', keyof ResolverTopics, IdentityResolverOptions>({
  name: 'identity-resolver',
  description: 'resolves cdp.events.raw.v1 into profiles in the Redis identity graph',
  defaultOpsPort: 9102,
  groupId: RESOLVER_GROUP_ID,
  inputs: { raw: TOPICS.eventsRaw },
  outputs: DEFAULT_RESOLVER_TOPICS,
  dlq: TOPICS.eventsDlq,
  async setup({ config, topics, options, resources, producer }) {
    const rules = compileTenantRules(options.tenants ?? loadTenants(config.CDP_TENANTS_FILE));
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    // Register up front: an incompatible schema fails start-up, not the first event.
    for (const kind of Object.keys(topics.outputs) as OutputKind[]) {
      await codec.register(topics.outputs[kind], OUTPUT_STREAMS[kind].schema());
    }
    const redis = resources.add('redis', createRedis(config.CDP_REDIS_URL, 'cdp-identity-resolver'), (r) =>
      r.quit(),
    );
    const lanes = Array.from({ length: config.CDP_RESOLVER_REDIS_CONNECTIONS - 1 }, (_, i) =>
      resources.add(`redis-lane-${i + 1}`, createRedis(config.CDP_REDIS_URL, 'cdp-identity-resolver'), (r) =>
        r.quit(),
      ),
    );
    const graph = new IdentityGraph(redis, undefined, lanes);
    const pending = new PendingOutputs();
    const handle = createResolverHandler({
      codec,
      graph,
      rulesFor: (tenant) => rules.get(tenant),
      topics: topics.outputs,
      pending,
      refuseSuppressed: true,
    });
    const guard: SnapshotGuardDeps = {
      redis,
      graph,
      codec,
      send: (messages) => producer.send(messages),
      topic: topics.outputs.profiles,
    };
    return {
      handle,
      // A hot profile changes many times per chunk; its compacted topic needs only the last snapshot.
      compactOutputs: (outputs) => latestPerKey(outputs, topics.outputs.profiles),
      afterSend: createAfterSend({ graph, guard, pending, keepOutcomes: options.keepOutcomes }),
      health: async () => ({
        ok: [redis, ...lanes].every((r) => r.status === 'ready'),
        detail: { redis: redis.status, lanes: lanes.map((r) => r.status) },
      }),
    };
  },
});

export interface IdentityResolverOverrides extends IdentityResolverOptions {
  /** Tests read and write topics of their own; production uses TOPICS. */
  input?: string;
  dlq?: string;
  outputs?: Partial<ResolverTopics>;
  groupId?: string;
}

export function startIdentityResolver(
  config: Config,
  logger: Logger,
  overrides: IdentityResolverOverrides = {},
): Promise<RunningProcessor> {
  const { input, dlq, outputs, groupId, ...options } = overrides;
  return identityResolver.startWith(config, logger, {
    topics: { inputs: input === undefined ? {} : { raw: input }, outputs, dlq },
    groupId,
    options,
  });
}

export const identityResolverService = identityResolver;

if (require.main === module) runAsMain(identityResolver);
