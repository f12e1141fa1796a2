// The resolver's after-send step: once a chunk's outputs are acknowledged, first make sure the
// compacted profile topic ends with what Redis holds (another writer, or an earlier delivery, may
// have appended an older version after ours), then release the stored outcomes a redelivery would
// have needed. In that order: a crash after the release but before the guard's appends would leave
// a redelivery that re-sends (and so re-checks) only the survivor, never a loser whose older
// snapshot landed after its tombstone (the crash test finds exactly that). The runner retries it
// until it succeeds and commits the chunk only after it. The usual case, no snapshot overtaken,
// takes one round trip for check and release together.
import type { ConsumedMessage } from '../common/kafka/consumed-message';
import type { IdentityGraph } from './identity-graph';
import type { PendingOutputs } from './pending-outputs';
import { tenantOfKey } from './redis-keys';
import { lastWrittenPerProfile, reassertSnapshots, type SnapshotGuardDeps } from './snapshot-guard';

export interface AfterSendDeps {
  graph: Pick<IdentityGraph, 'releaseOutcomesIfSnapshotsCurrent' | 'forgetOutcomes'>;
  guard: SnapshotGuardDeps;
  pending: PendingOutputs;
  /** Tests only: keep stored outcomes after the send, as a crash before the release would. */
  keepOutcomes?: boolean;
}

export function createAfterSend(
  deps: AfterSendDeps,
): (messages: readonly ConsumedMessage[]) => Promise<void> {
  const { graph, guard, pending } = deps;
  return async (messages) => {
    const { outcomeKeys, snapshots: written } = pending.of(messages);
    const snapshots = lastWrittenPerProfile(written);
    if (deps.keepOutcomes) {
      await reassertSnapshots(guard, snapshots);
    } else {
      const behind = await graph.releaseOutcomesIfSnapshotsCurrent(snapshots, outcomeKeys);
      if (behind.size > 0) {
        await reassertSnapshots(
          guard,
          snapshots.filter((w) => behind.has(w.tenant)),
        );
        await graph.forgetOutcomes(outcomeKeys.filter((k) => behind.has(tenantOfKey(k))));
      }
    }
    pending.release(messages);
  };
}
