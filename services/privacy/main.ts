// The privacy service: carries out the requests of cdp.privacy.requests.v1 (access, delete,
// suppress, unsuppress) and writes exactly one receipt per request to cdp.privacy.receipts.v1.
import path from 'node:path';
import { AvroCodec } from '../common/codec/avro-codec';
import { createClickHouse } from '../common/clickhouse/clickhouse-client';
import { DefinitionsFollower } from '../common/definitions/definitions-follower';
import type { Destination } from '../common/definitions/kinds/destination';
import { requireMigrations } from '../common/runtime/startup-checks';
import { createKafka } from '../common/kafka/kafka-client';
import { TOPICS } from '../common/kafka/topics';
import type { ConsumedMessage } from '../common/kafka/consumed-message';
import { PersonalStateRegistry } from '../common/privacy/personal-state';
import { SuppressionList } from '../common/privacy/suppression';
import { createRedis } from '../common/redis/redis-client';
import { runAsMain } from '../common/runtime/run-services';
import { defineStreamProcessor } from '../common/runtime/stream-processor';
import { privacyReceipts } from '../common/streams/privacy-receipts';
import { privacyRequests } from '../common/streams/privacy-requests';
import { loadTenants, type TenantDirectory } from '../common/tenants';
import { deleteSubject } from '../activation/delete-subject';
import { IdentityGraph } from '../identity-resolver/identity-graph';
import { compileTenantRules } from '../identity-resolver/main';
import { carryOutRequest, type PrivacyDeps } from './carry-out-request';
import { ClickHouseEraser } from './clickhouse-erasure';
import { SubjectLookups } from './subject-lookups';
import type { DestinationRetry } from './destination-deletions';
import { activationQueueState, journeyState, segmentState } from './engine-states';
import { identityGraphState, resolverOutcomesState } from './identity-graph-state';
import { PERSONAL_DATA_TABLES } from './personal-data-tables';
import { markDone } from './request-progress';
import { readTopicHorizons, type TopicHorizon } from './topic-horizons';

export const PRIVACY_GROUP_ID = 'cdp-privacy';

/** Topics that hold copies of personal data and cannot delete single records. */
export const RETAINED_TOPICS: readonly string[] = [
  TOPICS.eventsRaw,
  TOPICS.eventsResolved,
  TOPICS.profileChanges,
  TOPICS.identityMerges,
  TOPICS.ingestionWarnings,
  TOPICS.eventsDlq,
  TOPICS.segmentMembership,
  TOPICS.computedTraitChanges,
  TOPICS.journeyActions,
  TOPICS.activationDeliveries,
  TOPICS.activationDeadLetters,
  TOPICS.activationPayloads,
  TOPICS.privacyRequests,
  // A receipt names the subject's identifiers: the proof of the erasure, kept for its retention.
  TOPICS.privacyReceipts,
];

/** Topics declared free of personal data, and why (a unit test keeps every topic classified). */
export const TOPICS_WITHOUT_PERSONAL_DATA: Readonly<Record<string, string>> = {
  [TOPICS.definitions]: 'segment, destination and journey definitions: configuration, no people',
};

export interface PrivacyOptions {
  tenants?: TenantDirectory;
  /** Tests write a database of their own. */
  database?: string;
  /** The compacted profile topic tombstones go to (tests: their own). */
  profilesTopic?: string;
  /** Topics listed on receipts with their retention horizon (tests: their own). */
  retainedTopics?: readonly string[];
  /** Where access documents are written (default: $CDP_HOME/privacy-exports). */
  exportDir?: string;
  /** Tests follow a definitions topic of their own (destinations declaring supports_deletion). */
  definitionsTopic?: string;
  /** Calls per destination and their backoff (default: destination-deletions.ts). */
  destinationRetry?: DestinationRetry;
  /** Engines with personal state per profile register here (the identity graph always is). */
  registerStores?: (registry: PersonalStateRegistry, redis: ReturnType<typeof createRedis>) => void;
}

export const privacyService = defineStreamProcessor<'requests', 'receipts', PrivacyOptions>({
  name: 'privacy',
  description: 'carries out access, delete, suppress and unsuppress requests; one receipt per request',
  defaultOpsPort: 9105,
  groupId: PRIVACY_GROUP_ID,
  inputs: { requests: TOPICS.privacyRequests },
  outputs: { receipts: TOPICS.privacyReceipts },
  dlq: TOPICS.eventsDlq,
  // The requests of a chunk are carried out at once (up to CDP_KEY_CONCURRENCY), and those at the
  // same ClickHouse table share its mutation (clickhouse-erasure.ts): a large chunk means fewer
  // mutations, each rewriting whole parts, for the price of receipts that leave together.
  chunkSize: 100,
  async setup({ config, logger, topics, options, resources, producer }) {
    const rules = compileTenantRules(options.tenants ?? loadTenants(config.CDP_TENANTS_FILE));
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    await codec.register(topics.outputs.receipts, privacyReceipts.schema());
    const database = options.database ?? config.CDP_CLICKHOUSE_DATABASE;
    const clickhouse = resources.add('clickhouse', createClickHouse(config, database), (c) => c.close());
    await requireMigrations(clickhouse, database);
    const redis = resources.add('redis', createRedis(config.CDP_REDIS_URL, 'cdp-privacy'), (r) => r.quit());
    const registry = new PersonalStateRegistry()
      .register(identityGraphState(redis))
      .register(resolverOutcomesState(redis))
      .register(segmentState(redis))
      .register(journeyState(redis))
      .register(activationQueueState(redis));
    options.registerStores?.(registry, redis);
    const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-privacy-admin`);
    // Destinations are read when a request needs them; the follower keeps them current.
    const follower = new DefinitionsFollower({
      kafka,
      codec,
      logger,
      topic: options.definitionsTopic,
      kinds: ['destination'],
    });
    await follower.start();
    resources.add('definitions', follower, (f) => f.stop());
    const profilesTopic = options.profilesTopic ?? TOPICS.profiles;
    const retained = [profilesTopic, ...(options.retainedTopics ?? RETAINED_TOPICS)];
    let horizons: Promise<readonly TopicHorizon[]> | undefined;
    const deps: PrivacyDeps = {
      redis,
      graph: new IdentityGraph(redis),
      clickhouse,
      database,
      eraser: new ClickHouseEraser(clickhouse, database, { mutationDuty: config.CDP_PRIVACY_MUTATION_DUTY }),
      lookups: new SubjectLookups(clickhouse, database),
      suppression: new SuppressionList(redis),
      stores: registry.all(),
      tables: PERSONAL_DATA_TABLES,
      producer,
      profilesTopic,
      // Read once, on first need; a failed read is retried by the next request.
      horizons: () =>
        (horizons ??= readTopicHorizons(kafka, retained).catch((err: unknown) => {
          horizons = undefined;
          throw err;
        })),
      rulesFor: (tenant) => rules.get(tenant),
      destinations: (tenant) => follower.list<Destination>(tenant, 'destination').map((d) => d.body),
      // A kafka destination's delete record goes out through the service's own producer.
      callDestination: (destination, subject) => deleteSubject(destination, subject, { codec, producer }),
      destinationRetry: options.destinationRetry,
      exportDir: options.exportDir ?? path.join(config.CDP_HOME, 'privacy-exports'),
    };
    const sent = new Map<ConsumedMessage, { tenant: string; requestId: string; receiptId: string }>();
    return {
      handle: async (message) => {
        const request = await codec.decodeRecord(privacyRequests, message.value);
        const receipt = await carryOutRequest(deps, request);
        if (receipt === null) return [];
        sent.set(message, {
          tenant: receipt.tenant,
          requestId: receipt.requestId,
          receiptId: receipt.receiptId,
        });
        const topic = topics.outputs.receipts;
        return [
          {
            topic,
            key: privacyReceipts.key(receipt),
            value: await codec.encodeRecord(privacyReceipts, receipt, topic),
          },
        ];
      },
      // Receipts acknowledged: mark the requests done and drop their progress (it names the subject).
      afterSend: async (messages) => {
        for (const m of messages) {
          const done = sent.get(m);
          if (done === undefined) continue;
          if (rules.has(done.tenant)) await markDone(redis, done.tenant, done.requestId, done.receiptId);
          sent.delete(m);
        }
      },
      health: async () => ({ ok: redis.status === 'ready', detail: { redis: redis.status } }),
    };
  },
});

if (require.main === module) runAsMain(privacyService);
