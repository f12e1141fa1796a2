// The ClickHouse sink in a process of its own, for its crash test (test/chaos): started on the
// private topics, database and group given as one JSON argument. Prints "member" once the consumer
// holds partitions.
import type { RunningProcessor } from '../../services/common/runtime/stream-processor';
import { runChild } from './child-lifecycle';
import { loadConfig } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import { startClickHouseSink, type SinkTopics } from '../../services/clickhouse-sink/main';

export interface SinkChildSettings {
  topics: Partial<SinkTopics>;
  database: string;
  groupId: string;
  dlq: string;
  sessionTimeoutMs: number;
}

async function main(): Promise<RunningProcessor> {
  const settings = JSON.parse(process.argv[2] ?? '') as SinkChildSettings;
  const running = await startClickHouseSink(
    {
      ...loadConfig(),
      CDP_KAFKA_SESSION_TIMEOUT_MS: settings.sessionTimeoutMs,
      CDP_RETRY_INITIAL_MS: 20,
      CDP_RETRY_MAX_MS: 500,
    },
    createLogger('sink-child', process.env.CDP_LOG_LEVEL ?? 'fatal'),
    {
      topics: settings.topics,
      database: settings.database,
      groupId: settings.groupId,
      dlq: settings.dlq,
      // Small batches flushed often: more kills land between a flush and the offset commit.
      limits: { maxRows: 500, maxBytes: 1024 * 1024, maxAgeMs: 100 },
    },
  );
  return running;
}

runChild('sink-child', main);
