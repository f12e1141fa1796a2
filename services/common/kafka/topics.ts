// Topic names and their configuration live in code; `cdp topics apply` makes the cluster match.
import type { Config } from '../config';

export const TOPICS = {
  eventsRaw: 'cdp.events.raw.v1',
  eventsResolved: 'cdp.events.resolved.v1',
  profileChanges: 'cdp.profiles.changes.v1',
  profiles: 'cdp.profiles.v1',
  identityMerges: 'cdp.identity.merges.v1',
  ingestionWarnings: 'cdp.ingestion.warnings.v1',
  eventsDlq: 'cdp.events.dlq.v1',
  segmentMembership: 'cdp.segments.membership.v1',
  computedTraitChanges: 'cdp.segments.computed.v1',
  journeyActions: 'cdp.journeys.actions.v1',
  definitions: 'cdp.definitions.v1',
  privacyRequests: 'cdp.privacy.requests.v1',
  privacyReceipts: 'cdp.privacy.receipts.v1',
  activationDeliveries: 'cdp.activation.deliveries.v1',
  activationDeadLetters: 'cdp.activation.dead-letters.v1',
  activationPayloads: 'cdp.activation.payloads.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicDefinition {
  name: string;
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  /** -1 keeps forever. */
  retentionMs: number;
  /** Copies of each partition; absent: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Copies that must hold a write before acks=all succeeds; absent: the broker's default. */
  minInsyncReplicas?: number;
}

export interface Replication {
  factor: number;
  minInsync: number;
}

/**
 * Replication for every topic: the configured values, or defaults from the cluster's size. One
 * broker: 1 copy. Two: 2 copies, 1 in sync (writes go on while one broker is down). Three or
 * more: 3 copies, 2 in sync, the usual durable setting that survives one broker down.
 * Throws, naming the variable, on a setting the cluster cannot honour.
 */
export function resolveReplication(
  config: Pick<Config, 'CDP_TOPIC_REPLICATION_FACTOR' | 'CDP_TOPIC_MIN_INSYNC_REPLICAS'>,
  brokers: number,
): Replication {
  const factor = config.CDP_TOPIC_REPLICATION_FACTOR ?? Math.max(1, Math.min(3, brokers));
  const minInsync = config.CDP_TOPIC_MIN_INSYNC_REPLICAS ?? (factor >= 3 ? 2 : 1);
  if (factor > brokers) {
    throw new Error(
      `CDP_TOPIC_REPLICATION_FACTOR is ${factor} but the cluster has ${brokers} broker${brokers === 1 ? '' : 's'}; ` +
        'set it to at most the broker count',
    );
  }
  if (minInsync > factor) {
    throw new Error(
      `CDP_TOPIC_MIN_INSYNC_REPLICAS is ${minInsync} but topics have ${factor} replica${factor === 1 ? '' : 's'}: ` +
        'every acks=all write would fail; set it to at most the replication factor',
    );
  }
  return { factor, minInsync };
}

export function withReplication(defs: TopicDefinition[], replication: Replication): TopicDefinition[] {
  return defs.map((d) => ({
    ...d,
    replicationFactor: replication.factor,
    minInsyncReplicas: replication.minInsync,
  }));
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function topicDefinitions(config: Pick<Config, 'CDP_TOPIC_PARTITIONS'>): TopicDefinition[] {
  const p = config.CDP_TOPIC_PARTITIONS;
  return [
    { name: TOPICS.eventsRaw, partitions: p, cleanupPolicy: 'delete', retentionMs: 7 * DAY_MS },
    { name: TOPICS.eventsResolved, partitions: p, cleanupPolicy: 'delete', retentionMs: 7 * DAY_MS },
    { name: TOPICS.profileChanges, partitions: p, cleanupPolicy: 'delete', retentionMs: 7 * DAY_MS },
    // The snapshot topic is the durable copy of the identity graph: compacted, kept forever.
    { name: TOPICS.profiles, partitions: p, cleanupPolicy: 'compact', retentionMs: -1 },
    { name: TOPICS.identityMerges, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    { name: TOPICS.ingestionWarnings, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    { name: TOPICS.eventsDlq, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    { name: TOPICS.segmentMembership, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    { name: TOPICS.computedTraitChanges, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    { name: TOPICS.journeyActions, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    // Few, small records read whole by every service at start: one partition keeps them in one order.
    { name: TOPICS.definitions, partitions: 1, cleanupPolicy: 'compact', retentionMs: -1 },
    { name: TOPICS.privacyRequests, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    { name: TOPICS.privacyReceipts, partitions: p, cleanupPolicy: 'delete', retentionMs: 365 * DAY_MS },
    { name: TOPICS.activationDeliveries, partitions: p, cleanupPolicy: 'delete', retentionMs: 7 * DAY_MS },
    { name: TOPICS.activationDeadLetters, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    { name: TOPICS.activationPayloads, partitions: p, cleanupPolicy: 'delete', retentionMs: 7 * DAY_MS },
  ];
}

/** Every topic-level config `cdp topics apply` manages (AlterConfigs resets the ones left out). */
export const MANAGED_TOPIC_CONFIGS = ['cleanup.policy', 'retention.ms', 'min.insync.replicas'];

export function topicConfigEntries(def: TopicDefinition): { name: string; value: string }[] {
  const entries = [
    { name: 'cleanup.policy', value: def.cleanupPolicy },
    { name: 'retention.ms', value: String(def.retentionMs) },
  ];
  if (def.minInsyncReplicas !== undefined)
    entries.push({ name: 'min.insync.replicas', value: String(def.minInsyncReplicas) });
  return entries;
}
