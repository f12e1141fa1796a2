// Restores the Redis identity graph from the compacted snapshot topic (`cdp identity rebuild`).
// Restores are idempotent and order-tolerant (restore-profile-1.lua), so partitions may interleave.
import type { RecordDecoder } from '../common/codec/avro-codec';
import { readTopicToEnd } from '../common/kafka/read-to-end';
import type { Kafka } from '../common/kafka/kafka-client';
import { profileSnapshots } from '../common/streams/profile-snapshots';
import type { IdentityGraph } from './identity-graph';
import { fromSnapshotRecord } from './profile-snapshot-record';

export interface RebuildOptions {
  kafka: Kafka;
  codec: RecordDecoder;
  graph: Pick<IdentityGraph, 'restoreProfile'>;
  /** Only this tenant's snapshots; all tenants when absent. */
  tenant?: string;
  /** Defaults to cdp.profiles.v1. */
  topic?: string;
  /** Called after every `progressEvery` records read. */
  onProgress?: (summary: RebuildSummary) => void;
  progressEvery?: number;
  timeoutMs?: number;
}

export interface RebuildSummary {
  read: number;
  restored: number;
  /** Older than the version already in Redis. */
  stale: number;
  /** Already a forwarding pointer to a survivor: a merge is final. */
  merged: number;
  /** Merged-away or deleted profiles: nothing to restore. */
  tombstones: number;
  /** Snapshots of other tenants (when one tenant was asked for). */
  skipped: number;
}

export async function rebuildFromSnapshots(options: RebuildOptions): Promise<RebuildSummary> {
  const every = options.progressEvery ?? 1000;
  const summary: RebuildSummary = { read: 0, restored: 0, stale: 0, merged: 0, tombstones: 0, skipped: 0 };
  await readTopicToEnd({
    kafka: options.kafka,
    topic: options.topic ?? profileSnapshots.topic,
    timeoutMs: options.timeoutMs,
    onRecord: async ({ value }) => {
      summary.read += 1;
      if (value === null) summary.tombstones += 1;
      else {
        // Decoded into the current schema, so snapshots written before traitState existed read too.
        const { tenant, snapshot } = fromSnapshotRecord(
          await options.codec.decodeRecord(profileSnapshots, value),
        );
        if (options.tenant !== undefined && tenant !== options.tenant) summary.skipped += 1;
        else summary[await options.graph.restoreProfile(tenant, snapshot)] += 1;
      }
      if (summary.read % every === 0) options.onProgress?.({ ...summary });
    },
  });
  return summary;
}
