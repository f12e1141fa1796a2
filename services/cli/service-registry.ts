// The services `cdp run` can host. Modules load lazily so one service's dependencies do not slow another.
import type { ServiceDefinition } from '../common/runtime/service-definition';

export const SERVICE_LOADERS: Record<string, () => Promise<ServiceDefinition>> = {
  collector: async () => (await import('../collector/main')).collectorService,
  'identity-resolver': async () => (await import('../identity-resolver/main')).identityResolverService,
  'clickhouse-sink': async () => (await import('../clickhouse-sink/main')).clickHouseSinkService,
  'profile-api': async () => (await import('../profile-api/main')).profileApiService,
  privacy: async () => (await import('../privacy/main')).privacyService,
  'journey-engine': async () => (await import('../journey-engine/main')).journeyEngineService,
  activation: async () => (await import('../activation/main')).activationService,
  'segment-engine': async () => (await import('../segment-engine/main')).segmentEngineService,
};

export function serviceNames(): string[] {
  return Object.keys(SERVICE_LOADERS);
}
