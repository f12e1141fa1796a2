// The privacy service in a process of its own, for the kill test (test/chaos): started on the
// topics, group and options given as one JSON argument. Prints "member" once its consumer holds
// partitions, so the test sends the request to a member that is ready.
import { runChild } from './child-lifecycle';
import { loadConfig } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import type { ProcessorTopics, RunningProcessor } from '../../services/common/runtime/stream-processor';
import { tenantDirectory, type TenantsFile } from '../../services/common/tenants';
import { privacyService, type PrivacyOptions } from '../../services/privacy/main';

export interface PrivacyChildSettings {
  topics: ProcessorTopics<'requests', 'receipts'>;
  groupId: string;
  tenants: TenantsFile;
  options: Omit<PrivacyOptions, 'tenants' | 'registerStores'>;
  sessionTimeoutMs: number;
}

async function main(): Promise<RunningProcessor> {
  const settings = JSON.parse(process.argv[2] ?? '') as PrivacyChildSettings;
  const config = loadConfig();
  const running = await privacyService.startWith(
    {
      ...config,
      CDP_KAFKA_SESSION_TIMEOUT_MS: settings.sessionTimeoutMs,
      CDP_RETRY_INITIAL_MS: 20,
      CDP_RETRY_MAX_MS: 500,
    },
    createLogger('privacy-child', process.env.CDP_LOG_LEVEL ?? 'fatal'),
    {
      topics: settings.topics,
      groupId: settings.groupId,
      options: { ...settings.options, tenants: tenantDirectory(settings.tenants) },
    },
  );
  return running;
}

runChild('privacy-child', main);
