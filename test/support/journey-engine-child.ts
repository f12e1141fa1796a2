// The journey engine in a process of its own, for the kill -9 test: started on the topics, group
// and tenant given as one JSON argument. Prints "member" once its consumer holds partitions.
import type { RunningProcessor } from '../../services/common/runtime/stream-processor';
import { runChild } from './child-lifecycle';
import { loadConfig } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import { tenantDirectory } from '../../services/common/tenants';
import { journeyEngine } from '../../services/journey-engine/main';

export interface JourneyEngineChildSettings {
  topics: {
    inputs: { events: string; merges: string; membership: string };
    outputs: { actions: string };
    dlq: string;
  };
  groupId: string;
  tenant: string;
  definitionsTopic: string;
  sessionTimeoutMs: number;
}

async function main(): Promise<RunningProcessor> {
  const s = JSON.parse(process.argv[2] ?? '') as JourneyEngineChildSettings;
  const config = loadConfig();
  const running = await journeyEngine.startWith(
    {
      ...config,
      CDP_KAFKA_SESSION_TIMEOUT_MS: s.sessionTimeoutMs,
      CDP_RETRY_INITIAL_MS: 20,
      CDP_RETRY_MAX_MS: 500,
    },
    createLogger('journey-engine-child', process.env.CDP_LOG_LEVEL ?? 'fatal'),
    {
      topics: s.topics,
      groupId: s.groupId,
      options: {
        tenants: tenantDirectory({ tenants: [{ id: s.tenant, writeKeys: [`${s.tenant}-write-key`] }] }),
        definitionsTopic: s.definitionsTopic,
        database: false,
        tickMs: 50,
      },
    },
  );
  return running;
}

runChild('journey-engine-child', main);
