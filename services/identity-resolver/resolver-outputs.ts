// What the identity resolver publishes for one event, as typed records of its output streams. Pure:
// the handler encodes them; tests call this without Kafka or Redis.
import type { RawEventRecord } from '../common/events/event-record';
import { PoisonMessageError } from '../common/kafka/consumed-message';
import { identityMerges, type IdentityMergeRecord } from '../common/streams/identity-merges';
import { ingestionWarnings, type IngestionWarningRecord } from '../common/streams/ingestion-warnings';
import { profileChanges, type ProfileChangeRecord } from '../common/streams/profile-changes';
import { profileSnapshots, type ProfileSnapshotRecord } from '../common/streams/profile-snapshots';
import { resolvedEvents, type ResolvedEventRecord } from '../common/streams/resolved-events';
import type { IdentityOutcome, IdentityRejection } from './identity-outcome';
import { toSnapshotRecord } from './profile-snapshot-record';

/** The stream each output kind is written as, whatever topic it goes to. */
export const OUTPUT_STREAMS = {
  resolved: resolvedEvents,
  changes: profileChanges,
  profiles: profileSnapshots,
  merges: identityMerges,
  warnings: ingestionWarnings,
} as const;

export type OutputKind = keyof typeof OUTPUT_STREAMS;

export type ResolverOutput =
  | { kind: 'resolved'; key: string; value: ResolvedEventRecord }
  | { kind: 'changes'; key: string; value: ProfileChangeRecord }
  /** value null: a tombstone on the compacted profiles topic, keyed by the profile id. */
  | { kind: 'profiles'; key: string; value: ProfileSnapshotRecord | null }
  | { kind: 'merges'; key: string; value: IdentityMergeRecord }
  | { kind: 'warnings'; key: string; value: IngestionWarningRecord };

// Each output keyed as its stream keys it.
const resolvedOutput = (value: ResolvedEventRecord): ResolverOutput => ({
  kind: 'resolved',
  key: resolvedEvents.key(value),
  value,
});
const changeOutput = (value: ProfileChangeRecord): ResolverOutput => ({
  kind: 'changes',
  key: profileChanges.key(value),
  value,
});
const mergeOutput = (value: IdentityMergeRecord): ResolverOutput => ({
  kind: 'merges',
  key: identityMerges.key(value),
  value,
});
const warningOutput = (value: IngestionWarningRecord): ResolverOutput => ({
  kind: 'warnings',
  key: ingestionWarnings.key(value),
  value,
});

function changeKind(outcome: IdentityOutcome): 'created' | 'merged' | 'updated' {
  if (outcome.created) return 'created';
  return outcome.mergedFrom.length > 0 ? 'merged' : 'updated';
}

/**
 * Records for one resolved, replayed or duplicate event, in the order they should be sent. Every
 * record carries the outcome's appliedAt, so a replay re-sends the same bytes. Throws
 * PoisonMessageError for what can never resolve (a rejection, or no usable identifier), so the
 * runner dead-letters the original bytes with the reason.
 */
export function buildResolverOutputs(
  event: RawEventRecord,
  outcome: IdentityOutcome | IdentityRejection,
): ResolverOutput[] {
  if (outcome.status === 'rejected') {
    throw new PoisonMessageError(
      `event ${outcome.messageId} rejected by the identity graph: ${outcome.reason}`,
      'IdentityRejected',
    );
  }
  if (outcome.status === 'unresolved') {
    // No profile id exists to key a resolved event by; the DLQ keeps the bytes and says why.
    const why = outcome.warnings.map((w) => w.message).join('; ');
    throw new PoisonMessageError(
      `event ${outcome.messageId} has no usable identifier${why ? `: ${why}` : ''}`,
      'NoIdentifier',
    );
  }
  const profile = outcome.profile;
  // A duplicate whose profile is gone (deleted since) has nothing left to say.
  if (profile === null || outcome.profileId === null) return [];

  const at = outcome.appliedAt;
  const now = new Date(at);
  const { tenant, messageId } = outcome;
  const profileId = outcome.profileId;
  const outputs: ResolverOutput[] = [
    // Re-sent for duplicates too: a redelivery after a crash between Redis and Kafka must not lose
    // the event; consumers dedupe resolved events by messageId. The envelope goes out as it was
    // read (validated and made well-formed once, by the raw record schema), plus the profile.
    resolvedOutput({ ...event, profileId, resolvedAt: at }),
  ];
  // A replay re-sends the change its first delivery may have lost; a duplicate's was acknowledged.
  if (outcome.changed && outcome.status !== 'duplicate' && outcome.version !== null) {
    const version = outcome.version;
    outputs.push(
      changeOutput({
        // The schema's contract: '<profileId>:<version>', so consumers dedupe by (profile, version).
        changeId: `${profileId}:${version}`,
        tenant,
        profileId,
        version,
        kind: changeKind(outcome),
        sourceMessageId: messageId,
        identifiersAdded: outcome.identifiersAdded,
        mergedFrom: outcome.mergedFrom,
        traitsChanged: outcome.traitsChanged.map((t) => ({
          name: t.name,
          oldValue: t.oldValue,
          newValue: t.newValue,
        })),
        // What changed only: the whole profile is on the snapshot topic.
        changedAt: at,
      }),
    );
  }
  // Today's profile, also on a replay: keyed by its own id (a replayed profile may have been merged since).
  const snapshot = toSnapshotRecord(tenant, profile, now);
  outputs.push({ kind: 'profiles', key: profileSnapshots.key(snapshot), value: snapshot });
  for (const tombstone of outcome.tombstones) {
    // The loser disappears from the compacted topic; the survivor's mergedFrom keeps the pointer.
    outputs.push({ kind: 'profiles', key: tombstone.profileId, value: null });
    outputs.push(
      mergeOutput({
        mergeId: `${tombstone.profileId}:${tombstone.mergedInto}`,
        tenant,
        survivorId: tombstone.mergedInto,
        loserId: tombstone.profileId,
        survivorVersion: outcome.version ?? profile.version,
        identifiersMoved: tombstone.identifiersMoved,
        sourceMessageId: messageId,
        mergedAt: at,
      }),
    );
  }
  for (const warning of outcome.warnings) {
    const subject = warning.identifier ?? warning.trait ?? '';
    outputs.push(
      warningOutput({
        warningId: `${messageId}:${warning.code}:${subject}`,
        tenant,
        messageId,
        profileId,
        code: warning.code,
        message: warning.message,
        identifier: warning.identifier ?? null,
        trait: warning.trait ?? null,
        occurredAt: at,
      }),
    );
  }
  return outputs;
}
