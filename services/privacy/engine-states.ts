// The engines' per-profile Redis state as privacy stores: each engine exports its own remove and
// count (it alone knows its key layout); these adapters give them the registry's shape.
import type { Redis } from 'ioredis';
import type { PersonalStateStore } from '../common/privacy/personal-state';
import { countQueuedDeliveries, removeQueuedDeliveries } from '../activation/delivery-queue';
import { countJourneyState, removeJourneyState } from '../journey-engine/journey-state-store';
import { countProfileState, removeProfileState } from '../segment-engine/segment-state-store';

export function journeyState(redis: Redis): PersonalStateStore {
  return {
    name: 'redis:journey-engine',
    remove: async (tenant, profileIds) => ({ removed: await removeJourneyState(redis, tenant, profileIds) }),
    count: (tenant, profileIds) => countJourneyState(redis, tenant, profileIds),
  };
}

/** Deliveries waiting in activation's per-destination queues carry the profile's data. */
export function activationQueueState(redis: Redis): PersonalStateStore {
  return {
    name: 'redis:activation-queues',
    remove: async (tenant, profileIds) => ({
      removed: await removeQueuedDeliveries(redis, tenant, profileIds),
    }),
    count: (tenant, profileIds) => countQueuedDeliveries(redis, tenant, profileIds),
  };
}

/** The segment engine's per-profile aggregates, memberships and expiry schedule. */
export function segmentState(redis: Redis): PersonalStateStore {
  return {
    name: 'redis:segment-engine',
    remove: async (tenant, profileIds) => ({
      removed: await removeProfileState(redis, tenant, [...profileIds]),
    }),
    count: (tenant, profileIds) => countProfileState(redis, tenant, [...profileIds]),
  };
}
