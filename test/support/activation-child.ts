// Activation in a process of its own, for the kill -9 test: started on the topics, group, tenant
// and key prefix given as one JSON argument. Prints "started" once it runs.
import { loadConfig } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import type { ProcessorTopics } from '../../services/common/runtime/stream-processor';
import { tenantDirectory, type ConsentMode } from '../../services/common/tenants';
import { activation } from '../../services/activation/main';
import type { InputRole } from '../../services/activation/activation-handler';

export interface ActivationChildSettings {
  topics: ProcessorTopics<InputRole, 'deliveries' | 'deadLetters'>;
  groupId: string;
  tenant: string;
  consentMode: ConsentMode;
  definitionsTopic: string;
  keyPrefix: string;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as ActivationChildSettings;
  const config = {
    ...loadConfig(),
    CDP_KAFKA_SESSION_TIMEOUT_MS: 6000,
    CDP_RETRY_INITIAL_MS: 20,
    CDP_RETRY_MAX_MS: 500,
  };
  await activation.startWith(
    config,
    createLogger('activation-child', process.env.CDP_LOG_LEVEL ?? 'silent'),
    {
      topics: settings.topics,
      groupId: settings.groupId,
      options: {
        tenants: tenantDirectory({
          tenants: [
            { id: settings.tenant, writeKeys: [`wk-${settings.tenant}`], consent_mode: settings.consentMode },
          ],
        }),
        definitionsTopic: settings.definitionsTopic,
        keyPrefix: settings.keyPrefix,
        pollMs: 20,
        backoff: { initialMs: 50, maxMs: 400 },
        leaseMarginMs: 1000,
      },
    },
  );
  process.stdout.write('started\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`activation child failed: ${String(err)}\n`);
  process.exit(1);
});
