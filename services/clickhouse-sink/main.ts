// The ClickHouse sink as a stream processor: Avro codec, ClickHouse client and batcher in; the frame
// (common/runtime/stream-processor.ts) owns Kafka, the runner, stop order and health.
import { AvroCodec } from '../common/codec/avro-codec';
import { createClickHouse } from '../common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../common/clickhouse/escape-sql';
import type { Config } from '../common/config';
import { TOPICS } from '../common/kafka/topics';
import type { Logger } from '../common/logger';
import { runAsMain } from '../common/runtime/run-services';
import { requireMigrations } from '../common/runtime/startup-checks';
import { defineStreamProcessor, type RunningProcessor } from '../common/runtime/stream-processor';
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
  deliveries: TOPICS.activationDeliveries,
  membership: TOPICS.segmentMembership,
  computed: TOPICS.computedTraitChanges,
};

export interface ClickHouseSinkOptions {
  /** Tests write a database of their own. */
  database?: string;
  limits?: BatcherLimits;
}

// Only dead letters are produced: poison records and records whose rows ClickHouse refused.
export const clickHouseSink = defineStreamProcessor<SinkInput, never, ClickHouseSinkOptions>({
  name: 'clickhouse-sink',
  description:
    'writes resolved events, profiles, merges, warnings, dead letters and delivery decisions into ClickHouse',
  defaultOpsPort: 9103,
  groupId: SINK_GROUP_ID,
  inputs: DEFAULT_SINK_TOPICS,
  outputs: {},
  dlq: TOPICS.eventsDlq,
  chunkSize: CHUNK_SIZE,
  async setup({ config, logger, topics, options, resources }) {
    const database = options.database ?? config.CDP_CLICKHOUSE_DATABASE;
    const clickhouse = resources.add('clickhouse', createClickHouse(config, database), (c) => c.close());
    await requireMigrations(clickhouse, database);
    const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
    const batcher = new ClickHouseBatcher(async (table, values) => {
      await clickhouse.insert({
        table: `${sqlIdentifier(database)}.${sqlIdentifier(table)}`,
        values,
        format: 'JSONEachRow',
      });
    }, options.limits ?? DEFAULT_SINK_LIMITS);
    const inputs = topics.inputs;
    const handle = createSinkHandler({
      codec,
      batcher,
      overrides: clickHouseOverrideLookup(clickhouse, database),
      inputs: new Map((Object.keys(inputs) as SinkInput[]).map((kind) => [inputs[kind], kind])),
    });
    return {
      handle,
      // The runner commits a chunk only after this flush reached ClickHouse; rows it refused for
      // their data go to the DLQ with the chunk's outputs.
      afterChunk: async (messages) => {
        await batcher.flush();
        return refusedRowOutputs(batcher.takeRefused(messages), {
          dlqTopic: topics.dlq,
          deadLetterInput: inputs.deadLetters,
          logger,
        });
      },
      health: async () => {
        const ok = (await clickhouse.ping()).success;
        return { ok, detail: { clickhouse: ok ? 'ok' : 'unreachable' } };
      },
    };
  },
});

export interface ClickHouseSinkOverrides extends ClickHouseSinkOptions {
  /** Tests read topics of their own. */
  topics?: Partial<SinkTopics>;
  groupId?: string;
  dlq?: string;
}

export function startClickHouseSink(
  config: Config,
  logger: Logger,
  overrides: ClickHouseSinkOverrides = {},
): Promise<RunningProcessor> {
  const { topics, groupId, dlq, ...options } = overrides;
  return clickHouseSink.startWith(config, logger, { topics: { inputs: topics, dlq }, groupId, options });
}

export const clickHouseSinkService = clickHouseSink;

if (require.main === module) runAsMain(clickHouseSink);
