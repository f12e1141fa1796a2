// Shared setup for the identity graph's Redis tests: a client on CDP_REDIS_URL, a unique tenant
// per test (so tests can share a Redis), cleanup of its keys, and an event builder.
import crypto from 'node:crypto';
import Redis from 'ioredis';
import { loadConfig } from '../../services/common/config';
import type { IdentityEventInput } from '../../services/identity-resolver/identity-event';
import type { IdentityOutcome, IdentityRejection } from '../../services/identity-resolver/identity-outcome';
import { deleteKeysMatching } from '../../services/common/redis/delete-keys';

export function testRedis(): Redis {
  return new Redis(loadConfig().CDP_REDIS_URL, {
    maxRetriesPerRequest: 1,
    connectionName: 'cdp-identity-test',
  });
}

export function uniqueTenant(prefix = 'idtest'): string {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`;
}

/** Deletes every key of the tenant (all carry the `{t:<tenant>}` hash tag). */
export function deleteTenantKeys(redis: Redis, tenant: string): Promise<number> {
  return deleteKeysMatching(redis, `{t:${tenant}}:*`);
}

let messageCounter = 0;

export function makeEvent(
  tenant: string,
  fields: Partial<IdentityEventInput> & { at?: number },
): IdentityEventInput {
  const { at, ...rest } = fields;
  messageCounter += 1;
  return {
    messageId: `m-${messageCounter}-${crypto.randomBytes(3).toString('hex')}`,
    tenant,
    type: 'track',
    timestamp: new Date(Date.UTC(2025, 0, 1) + (at ?? messageCounter) * 1000).toISOString(),
    ...rest,
  };
}

export function expectResolved(outcome: IdentityOutcome | IdentityRejection): IdentityOutcome {
  if (outcome.status === 'rejected') throw new Error(`event rejected: ${outcome.reason}`);
  return outcome;
}
