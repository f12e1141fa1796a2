// Wiring of the ClickHouse sink: Avro codec, ClickHouse client, batcher, consumer runner.
import { AvroCodec } from '../common/codec/avro-codec';
import { createClickHouse } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../common/clickhouse/escape-sql';
import type { Config } from '../common/config';
import { startConsumerRunner } from '../common/kafka/consumer-runner';
import { createKafka } from '../common/kafka/kafka-client';
import { createProducer } from '../common/kafka/producer';
import { TOPICS } from '../common/kafka/topics';
import type { Logger } from '../common/logger';
import { runAsMain } from '../common/runtime/run-services';
import type { RunningService, ServiceDefinition } from '../common/runtime/service-definition';
import { ClickHouseBatcher, type BatcherLimits } from './clickhouse-batcher';
import { refusedRowOutputs } from './refused-rows';
import { clickHouseOverrideLookup } from './override-store';
import { createSinkHandler, type SinkInput } from './sink-handler';

export const SINK_GROUP_ID = 'cdp-clickhouse-sink';

/** Within a chunk of 2000 records the row and byte bounds flush early, so memory stays bounded. */
export const DEFAULT_SINK_LIMITS: BatcherLimits = {
  maxRows: 5000,
  maxBytes: 8 * 1024 * 1024,
  maxAgeMs: 5000,
};
const CHUNK_SIZE = 2000;

export type SinkTopics = Record<SinkInput, string>;

export const DEFAULT_SINK_TOPICS: SinkTopics = {
  events: TOPICS.eventsResolved,
  profiles: TOPICS.profiles,
  merges: TOPICS.identityMerges,
  warnings: TOPICS.ingestionWarnings,
  deadLetters: TOPICS.eventsDlq,
};

export interface ClickHouseSinkOverrides {
  /** Tests read topics and write a database of their own. */
  topics?: Partial<SinkTopics>;
  database?: string;
  groupId?: string;
  dlq?: string;
  limits?: BatcherLimits;
}

export async function startClickHouseSink(
  config: Config,
  logger: Logger,
  overrides: ClickHouseSinkOverrides = {},
): Promise<RunningService> {
  const topics: SinkTopics = { ...DEFAULT_SINK_TOPICS, ...overrides.topics };
  const database = overrides.database ?? config.CDP_CLICKHOUSE_DATABASE;
  const clickhouse = createClickHouse(config, database);
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const batcher = new ClickHouseBatcher(async (table, values) => {
    await clickhouse.insert({
      table: `${sqlIdentifier(database)}.${sqlIdentifier(table)}`,
      values,
      format: 'JSONEachRow',
    });
  }, overrides.limits ?? DEFAULT_SINK_LIMITS);
  const handle = createSinkHandler({
    codec,
    batcher,
    overrides: clickHouseOverrideLookup(clickhouse, database),
    inputs: new Map((Object.keys(topics) as SinkInput[]).map((kind) => [topics[kind], kind])),
    schemaTopics: {
      events: TOPICS.eventsResolved,
      profiles: TOPICS.profiles,
      merges: TOPICS.identityMerges,
      warnings: TOPICS.ingestionWarnings,
    },
  });
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-clickhouse-sink`);
  // Only dead letters are produced: poison records and records whose rows ClickHouse refused.
  const producer = await createProducer(kafka);
  let runner;
  try {
    runner = await startConsumerRunner({
      kafka,
      producer,
      logger,
      service: 'clickhouse-sink',
      groupId: overrides.groupId ?? SINK_GROUP_ID,
      topics: Object.values(topics),
      dlqTopic: overrides.dlq ?? TOPICS.eventsDlq,
      handle,
      afterChunk: async (messages) => {
        await batcher.flush();
        return refusedRowOutputs(batcher.takeRefused(messages), {
          dlqTopic: overrides.dlq ?? TOPICS.eventsDlq,
          deadLetterInput: topics.deadLetters,
          logger,
        });
      },
      chunkSize: CHUNK_SIZE,
      keyConcurrency: config.CDP_KEY_CONCURRENCY,
      partitionsConcurrently: config.CDP_PARTITIONS_CONCURRENTLY,
      retryInitialMs: config.CDP_RETRY_INITIAL_MS,
      retryMaxMs: config.CDP_RETRY_MAX_MS,
    });
  } catch (err) {
    await producer.disconnect();
    await clickhouse.close();
    throw err;
  }
  const started = runner;
  return {
    stop: async () => {
      // The runner flushes and commits the chunk in hand before it returns; then the connections go.
      await started.stop();
      await producer.disconnect();
      await clickhouse.close();
    },
    healthy: async () => (await clickhouse.ping()).success,
  };
}

export const clickHouseSinkService: ServiceDefinition = {
  name: 'clickhouse-sink',
  description: 'writes resolved events, profiles, merges, warnings and dead letters into ClickHouse',
  defaultOpsPort: 9103,
  start: (config, logger) => startClickHouseSink(config, logger),
};

if (require.main === module) runAsMain(clickHouseSinkService);
