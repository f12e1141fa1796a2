// The journey engine as a stream processor: it reads resolved events, segment membership and merges,
// keeps journey instances and timers in Redis, and writes send actions to cdp.journeys.actions.v1
// (docs/journeys.md). The frame owns Kafka and stop order; the pump owns timers and the outboxes.
import { AvroCodec } from '../common/codec/avro-codec';
import { createClickHouse } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../common/clickhouse/escape-sql';
import type { Journey } from '../common/definitions/kinds/journey';
import { DefinitionsFollower } from '../common/definitions/definitions-follower';
import { createKafka } from '../common/kafka/kafka-client';
import { TOPICS } from '../common/kafka/topics';
import { createRedis } from '../common/redis/redis-client';
import { runAsMain } from '../common/runtime/run-services';
import { requireMigrations } from '../common/runtime/startup-checks';
import { defineStreamProcessor } from '../common/runtime/stream-processor';
import { journeyActions } from '../common/streams/journey-actions';
import { loadTenants, type TenantDirectory } from '../common/tenants';
import { IdentityGraph } from '../identity-resolver/identity-graph';
import { JourneyEngine } from './journey-engine';
import { createJourneyHandler, type JourneyInputRole } from './journey-handler';
import { JourneyPump } from './journey-pump';
import { migrateLegacyState } from './legacy-state';
import { JourneyStateStore } from './journey-state-store';
import { JourneyVersions } from './journey-versions';
import type { OutboxTargets } from './outbox-drain';
import { readProfileSegments } from '../segment-engine/profile-segments';
import { IdentityGraphFacts, type SegmentsReader } from './profile-facts';

export const JOURNEY_ENGINE_GROUP_ID = 'cdp-journey-engine';

export interface JourneyEngineOptions {
  /** Tests bring their own tenants; production reads CDP_TENANTS_FILE. */
  tenants?: TenantDirectory;
  /** The definitions topic (tests use a private one). */
  definitionsTopic?: string;
  /** ClickHouse database of journey_steps; false: keep the step log in Redis (no ClickHouse). */
  database?: string | false;
  /** Membership and computed traits for audiences and branches (default: the segment engine's Redis state). */
  segments?: SegmentsReader;
  tickMs?: number;
  onFired?: (tenant: string, due: number, firedAt: number) => void;
}

export const journeyEngine = defineStreamProcessor<JourneyInputRole, 'actions', JourneyEngineOptions>({
  name: 'journey-engine',
  description:
    'runs journeys on resolved events, segment membership and merges; writes cdp.journeys.actions.v1',
  defaultOpsPort: 9110,
  groupId: JOURNEY_ENGINE_GROUP_ID,
  inputs: {
    events: TOPICS.eventsResolved,
    membership: TOPICS.segmentMembership,
    merges: TOPICS.identityMerges,
  },
  outputs: { actions: TOPICS.journeyActions },
  dlq: TOPICS.eventsDlq,
  chunkSize: 200,
  async setup({ config, logger, topics, options, resources, producer }) {
    const tenants = options.tenants ?? loadTenants(config.CDP_TENANTS_FILE);
    const served = new Set(tenants.tenants.map((t) => t.id));
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    await codec.register(topics.outputs.actions, journeyActions.schema());

    let insertSteps: OutboxTargets['insertSteps'];
    if (options.database !== false) {
      const database = options.database ?? config.CDP_CLICKHOUSE_DATABASE;
      const clickhouse = resources.add('clickhouse', createClickHouse(config, database), (c) => c.close());
      await requireMigrations(clickhouse, database);
      insertSteps = async (rows) => {
        await clickhouse.insert({
          table: `${sqlIdentifier(database)}.journey_steps`,
          values: rows,
          format: 'JSONEachRow',
        });
      };
    }

    const redis = resources.add('redis', createRedis(config.CDP_REDIS_URL, 'cdp-journey-engine'), (r) =>
      r.quit(),
    );
    const store = new JourneyStateStore(redis);
    const versions = new JourneyVersions(redis);
    const follower = new DefinitionsFollower({
      kafka: createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-journey-definitions`),
      codec,
      logger,
      topic: options.definitionsTopic,
      kinds: ['journey'],
    });
    const engine = new JourneyEngine({
      store,
      versions,
      facts: new IdentityGraphFacts(
        new IdentityGraph(redis),
        options.segments ?? ((tenant, profileId) => readProfileSegments(redis, tenant, profileId)),
      ),
      current: (tenant) =>
        follower
          .list<Journey>(tenant, 'journey')
          .map((d) => ({ id: d.id, version: d.version, body: d.body })),
    });
    const pump = new JourneyPump({
      engine,
      store,
      outbox: { redis, codec, producer, actionsTopic: topics.outputs.actions, insertSteps },
      tenants: () => [...served],
      logger,
      tickMs: options.tickMs,
      onFired: options.onFired,
    });
    let ready = false;
    follower.onChange(async (change) => {
      if (!served.has(change.tenant)) return;
      if (change.after !== undefined) {
        await versions.save(change.tenant, change.id, change.after.version, change.after.body as Journey);
      } else if (ready) {
        const exited = await engine.exitDeleted(change.tenant, change.id, Date.now());
        logger.info(
          { tenant: change.tenant, journey: change.id, exited },
          'journey deleted; its instances exited',
        );
        pump.wake();
      }
    });
    await follower.start();
    ready = true;
    const moved = await migrateLegacyState(redis, [...served]);
    if (moved > 0) logger.info({ moved }, 'journey state of profiles moved to the bucket layout');
    resources.add('definitions', follower, (f) => f.stop());
    // Instances of journeys deleted while the engine was down exit when their timers fire (the
    // machine sees no current version), and due timers fire on the first tick: nothing waits.
    pump.start();
    resources.add('pump', pump, (p) => p.stop());

    const roles = new Map<string, JourneyInputRole>(
      (Object.keys(topics.inputs) as JourneyInputRole[]).map((role) => [topics.inputs[role], role]),
    );
    return {
      handle: createJourneyHandler({
        codec,
        engine,
        roles,
        serves: (tenant) => served.has(tenant),
        changed: () => pump.wake(),
      }),
      health: async () => ({ ok: redis.status === 'ready', detail: { redis: redis.status } }),
    };
  },
});

export const journeyEngineService = journeyEngine;

if (require.main === module) runAsMain(journeyEngine);
