// The segment engine in a process of its own, for its crash test (test/chaos): started on the private
// topics and group given as one JSON argument. Its clock is the number in `clockFile` (read every
// 50 ms), so the test moves time across kills. Prints "member" once the consumer holds partitions.
import type { RunningProcessor } from '../../services/common/runtime/stream-processor';
import { runChild } from './child-lifecycle';
import fs from 'node:fs';
import { loadConfig } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import { startSegmentEngine } from '../../services/segment-engine/main';

export interface SegmentEngineChildSettings {
  inputs: { events: string; changes: string; merges: string };
  outputs: { membership: string; computed: string };
  dlq: string;
  definitionsTopic: string;
  groupId: string;
  clockFile: string;
  sessionTimeoutMs: number;
}

async function main(): Promise<RunningProcessor> {
  const settings = JSON.parse(process.argv[2] ?? '') as SegmentEngineChildSettings;
  const config = loadConfig();
  const readClock = () => Number(fs.readFileSync(settings.clockFile, 'utf8'));
  let now = readClock();
  setInterval(() => (now = readClock()), 50);
  const running = await startSegmentEngine(
    {
      ...config,
      CDP_KAFKA_SESSION_TIMEOUT_MS: settings.sessionTimeoutMs,
      CDP_RETRY_INITIAL_MS: 20,
      CDP_RETRY_MAX_MS: 500,
    },
    createLogger('segment-engine-child', process.env.CDP_LOG_LEVEL ?? 'fatal'),
    {
      inputs: settings.inputs,
      outputs: settings.outputs,
      dlq: settings.dlq,
      groupId: settings.groupId,
      definitionsTopic: settings.definitionsTopic,
      now: () => now,
      tickMs: 100,
    },
  );
  return running;
}

runChild('segment-engine-child', main);
