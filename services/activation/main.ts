// Activation as a stream processor: reads segment membership, computed trait changes, journey
// send steps, profile changes and resolved events; queues deliveries per destination in Redis
// (activation-handler.ts) and delivers them with one worker per destination (worker-pool.ts).
// docs/destinations.md explains the guarantees.
import { AvroCodec } from '../common/codec/avro-codec';
import { DefinitionsFollower } from '../common/definitions/definitions-follower';
import { createKafka } from '../common/kafka/kafka-client';
import { createProducer } from '../common/kafka/producer';
import { TOPICS } from '../common/kafka/topics';
import { createRedis } from '../common/redis/redis-client';
import { runAsMain } from '../common/runtime/run-services';
import { defineStreamProcessor } from '../common/runtime/stream-processor';
import { deliveryDecisions, destinationDeadLetters } from '../common/streams/activation';
import { computedTraitChanges } from '../common/streams/computed-traits';
import { journeyActions } from '../common/streams/journey-actions';
import { profileChanges } from '../common/streams/profile-changes';
import { resolvedEvents } from '../common/streams/resolved-events';
import { segmentMembership } from '../common/streams/segment-membership';
import { loadTenants, type TenantDirectory } from '../common/tenants';
import { coalescedSender } from '../collector/coalesced-sender';
import { IdentityGraph } from '../identity-resolver/identity-graph';
import { createActivationHandler, type InputRole } from './activation-handler';
import { DEFAULT_BACKOFF, type BackoffSettings } from './backoff';
import { DecisionLog } from './decision-log';
import { DeliveryQueue, indexExistingQueues } from './delivery-queue';
import { WorkerPool } from './worker-pool';

export const ACTIVATION_GROUP_ID = 'cdp-activation';

export interface ActivationOptions {
  tenants?: TenantDirectory;
  /** Tests follow a definitions topic of their own. */
  definitionsTopic?: string;
  /** Tests isolate their queues in a shared Redis. */
  keyPrefix?: string;
  /** Requests in flight per destination (default 8). */
  concurrency?: number;
  /** Wait of an idle worker slot (default 50 ms). */
  pollMs?: number;
  backoff?: BackoffSettings;
  /** Added to a destination's timeout to lease a claimed profile (default 30 s). */
  leaseMarginMs?: number;
}

export const activation = defineStreamProcessor<InputRole, 'deliveries' | 'deadLetters', ActivationOptions>({
  name: 'activation',
  description: 'delivers segment changes, traits, events and journey sends to destinations',
  defaultOpsPort: 9108,
  groupId: ACTIVATION_GROUP_ID,
  inputs: {
    membership: TOPICS.segmentMembership,
    computed: TOPICS.computedTraitChanges,
    journeys: TOPICS.journeyActions,
    changes: TOPICS.profileChanges,
    events: TOPICS.eventsResolved,
  },
  outputs: { deliveries: TOPICS.activationDeliveries, deadLetters: TOPICS.activationDeadLetters },
  dlq: TOPICS.eventsDlq,
  chunkSize: 200,
  async setup({ config, logger, topics, options, resources }) {
    const tenants = options.tenants ?? loadTenants(config.CDP_TENANTS_FILE);
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    await codec.register(topics.outputs.deliveries, deliveryDecisions.schema());
    await codec.register(topics.outputs.deadLetters, destinationDeadLetters.schema());
    const redis = resources.add('redis', createRedis(config.CDP_REDIS_URL, 'cdp-activation'), (r) =>
      r.quit(),
    );
    const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-activation-delivery`);
    const follower = new DefinitionsFollower({
      kafka,
      codec,
      logger,
      topic: options.definitionsTopic,
      kinds: ['destination'],
    });
    await follower.start();
    resources.add('definitions', follower, (f) => f.stop());
    // The workers' own producer: it outlives the frame's (resources close after it), so a stop lets
    // the requests in flight write their decisions.
    const producer = resources.add(
      'delivery-producer',
      await createProducer(kafka, { maxRequestBytes: config.CDP_KAFKA_MAX_REQUEST_BYTES }),
      (p) => p.disconnect(),
    );
    const sender = coalescedSender(producer);
    // Queues written before their tenant's destinations index existed: indexed once, at start.
    await indexExistingQueues(redis, options.keyPrefix);
    const queue = new DeliveryQueue(redis, options.keyPrefix);
    const log = new DecisionLog(codec, sender, topics.outputs);
    const pool = new WorkerPool(
      { queue, log, logger, codec, producer: sender },
      {
        concurrency: options.concurrency ?? 8,
        pollMs: options.pollMs ?? 50,
        backoff: options.backoff ?? DEFAULT_BACKOFF,
        leaseMarginMs: options.leaseMarginMs ?? 30_000,
      },
    );
    resources.add('workers', pool, (p) => p.stop());
    pool.follow(follower);

    const handle = createActivationHandler({
      codec,
      inputs: {
        membership: { topic: topics.inputs.membership, stream: segmentMembership },
        computed: { topic: topics.inputs.computed, stream: computedTraitChanges },
        journeys: { topic: topics.inputs.journeys, stream: journeyActions },
        changes: { topic: topics.inputs.changes, stream: profileChanges },
        events: { topic: topics.inputs.events, stream: resolvedEvents },
      },
      follower,
      graph: new IdentityGraph(redis),
      tenants,
      queue,
      log,
    });
    return {
      handle,
      health: async () => ({ ok: redis.status === 'ready', detail: { redis: redis.status } }),
    };
  },
});

export const activationService = activation;

if (require.main === module) runAsMain(activation);
