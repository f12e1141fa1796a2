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
  privacyRequests: 'cdp.privacy.requests.v1',
  privacyReceipts: 'cdp.privacy.receipts.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicDefinition {
  name: string;
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  /** -1 keeps forever. */
  retentionMs: number;
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
    { name: TOPICS.privacyRequests, partitions: p, cleanupPolicy: 'delete', retentionMs: 30 * DAY_MS },
    { name: TOPICS.privacyReceipts, partitions: p, cleanupPolicy: 'delete', retentionMs: 365 * DAY_MS },
  ];
}

export function topicConfigEntries(def: TopicDefinition): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: def.cleanupPolicy },
    { name: 'retention.ms', value: String(def.retentionMs) },
  ];
}
