// Wiring of the profile API: live tenants file, Redis identity graph, ClickHouse, the privacy topics
// (a producer for requests, a follower for receipts), HTTP server.
import type { AddressInfo } from 'node:net';
import { createClickHouse } from '../common/clickhouse/clickhouse-client';
import { AvroCodec } from '../common/codec/avro-codec';
import type { Config } from '../common/config';
import { createKafka } from '../common/kafka/kafka-client';
import { createProducer, type MessageProducer } from '../common/kafka/producer';
import { LiveTenants } from '../common/live-tenants';
import type { Logger } from '../common/logger';
import { createRedis } from '../common/redis/redis-client';
import { runAsMain } from '../common/runtime/run-services';
import type { RunningService, ServiceDefinition } from '../common/runtime/service-definition';
import { IdentityGraph } from '../identity-resolver/identity-graph';
import { PrivacyRequestFollower } from './privacy-request-follower';
import { buildProfileApiApp } from './profile-api-app';
import { segmentEngineExtras, type ProfileExtras } from './profile-extras';

export interface RunningProfileApi extends RunningService {
  /** The bound port (useful when configured as 0). */
  port: number;
}

export interface ProfileApiOverrides {
  /** Tests read a ClickHouse database of their own; production reads CDP_CLICKHOUSE_DATABASE. */
  database?: string;
  /** Computed traits, segments and consent of a profile (default: none yet). */
  extras?: ProfileExtras;
  /** Tests use privacy topics of their own; production cdp.privacy.requests.v1 / receipts.v1. */
  privacyTopics?: { requests: string; receipts: string };
}

export async function startProfileApi(
  config: Config,
  logger: Logger,
  overrides: ProfileApiOverrides = {},
): Promise<RunningProfileApi> {
  const tenants = new LiveTenants(config.CDP_TENANTS_FILE);
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-profile-api');
  const clickhouse = createClickHouse(config);
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-profile-api`);
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const follower = new PrivacyRequestFollower({ kafka, codec, logger, topics: overrides.privacyTopics });
  let producer: MessageProducer | undefined;
  const release = async () => {
    await follower.stop().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await redis.quit().catch(() => undefined);
    await clickhouse.close();
  };
  const host = config.CDP_PROFILE_API_HOST;
  let app: Awaited<ReturnType<typeof buildProfileApiApp>>;
  try {
    producer = await createProducer(kafka);
    await follower.start();
    app = await buildProfileApiApp({
      tenants,
      graph: new IdentityGraph(redis),
      clickhouse,
      database: overrides.database ?? config.CDP_CLICKHOUSE_DATABASE,
      extras: overrides.extras ?? segmentEngineExtras(redis),
      rateLimit: {
        perSecond: config.CDP_PROFILE_API_RATE_LIMIT_PER_SECOND,
        burst: config.CDP_PROFILE_API_RATE_LIMIT_BURST,
      },
      privacy: { producer, codec, follower },
      logger,
    });
    await app.listen({ host, port: config.CDP_PROFILE_API_PORT });
  } catch (err) {
    await release();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(
        `profile API: port ${config.CDP_PROFILE_API_PORT} on ${host} is taken; set CDP_PROFILE_API_PORT to another port`,
      );
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info(
    { url: `http://${host}:${port}`, openapi: `http://${host}:${port}/openapi.json` },
    'profile API listening',
  );
  return {
    port,
    stop: async () => {
      await app.close();
      await release();
    },
    healthy: () => Promise.resolve(redis.status === 'ready'),
  };
}

export const profileApiService: ServiceDefinition = {
  name: 'profile-api',
  description:
    'HTTP reads of unified profiles, their events and segments (read keys); privacy requests (privacy keys)',
  defaultOpsPort: 9104,
  start: (config, logger) => startProfileApi(config, logger),
};

if (require.main === module) runAsMain(profileApiService);
