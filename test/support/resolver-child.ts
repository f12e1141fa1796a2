// The identity resolver in a process of its own, for the crash test (test/chaos): started on the
// private topics, group and tenant given as one JSON argument, with a Redis connection name of the
// run's own so the test can CLIENT KILL exactly this process's connections. Prints "member" once
// the consumer holds partitions, so the test kills it while it works, not while it joins.
import type { RunningProcessor } from '../../services/common/runtime/stream-processor';
import { runChild } from './child-lifecycle';
import { loadConfig } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import { tenantDirectory } from '../../services/common/tenants';
import { startIdentityResolver } from '../../services/identity-resolver/main';
import type { ResolverTestTopics } from './identity-resolver-stack';

export interface ResolverChildSettings {
  topics: ResolverTestTopics;
  groupId: string;
  tenant: string;
  /** CLIENT SETNAME of every Redis connection the child opens. */
  redisName: string;
  /** Short, so a killed member leaves the group quickly (the broker's minimum is 6 s). */
  sessionTimeoutMs: number;
}

/**
 * The resolver names its Redis connection itself; ioredis reads options from the URL's query and
 * lets them win over the constructor's, so the name travels in CDP_REDIS_URL without a test hook
 * in the service.
 */
export function namedRedisUrl(url: string, name: string): string {
  const named = new URL(url);
  named.searchParams.set('connectionName', name);
  return named.toString();
}

async function main(): Promise<RunningProcessor> {
  const settings = JSON.parse(process.argv[2] ?? '') as ResolverChildSettings;
  const config = loadConfig();
  const { input, dlq, ...outputs } = settings.topics;
  const running = await startIdentityResolver(
    {
      ...config,
      CDP_REDIS_URL: namedRedisUrl(config.CDP_REDIS_URL, settings.redisName),
      CDP_KAFKA_SESSION_TIMEOUT_MS: settings.sessionTimeoutMs,
      CDP_RETRY_INITIAL_MS: 20,
      CDP_RETRY_MAX_MS: 500,
    },
    createLogger('resolver-child', process.env.CDP_LOG_LEVEL ?? 'fatal'),
    {
      input,
      dlq,
      outputs,
      groupId: settings.groupId,
      tenants: tenantDirectory({
        tenants: [{ id: settings.tenant, writeKeys: [`${settings.tenant}-write-key`] }],
      }),
    },
  );
  return running;
}

runChild('resolver-child', main);
