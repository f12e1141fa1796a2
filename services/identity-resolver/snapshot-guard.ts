// Keeps the compacted cdp.profiles.v1 exact although several writers append to it out of order.
//
// The resolver's input is keyed by identifier and its snapshots by profile, so two partitions (two
// instances, or one instance's concurrent partitions, or a zombie after a rebalance) can apply
// versions 5 and 6 of one profile in Redis in that order yet append them to Kafka as 6 then 5.
// Compaction keeps the last record per key, so the topic would keep 5 for ever.
//
// Rule: after a writer's snapshot (or tombstone) is acknowledged, it reads the profile's version
// in Redis; when Redis is ahead (or the profile was merged away), it appends the current state and
// checks again. Why that is exact: take the last record of a profile in the log, version u, written
// by W. W finished, so its read after that append saw u. Any later version was applied in Redis
// after that read, and its writer appended it after applying it, hence after W's acknowledged append:
// a later record, a contradiction. So once writers are idle, the last record of every profile is
// its current Redis state, and compaction keeps exactly that. A writer that dies between its
// append and its check has not committed its input offset: the redelivery re-sends and checks.
//
// `reconcileSnapshotTopic` applies the same check to a whole topic, for topics written before the
// rule existed or after a check failed (`cdp identity repair-snapshots`).
import type { Redis } from 'ioredis';
import type { RecordDecoder, RecordEncoder } from '../common/codec/avro-codec';
import { readTopicToEnd } from '../common/kafka/read-to-end';
import type { Kafka } from '../common/kafka/kafka-client';
import type { MessageSender, OutgoingMessage } from '../common/kafka/producer';
import { profileSnapshots } from '../common/streams/profile-snapshots';
import type { IdentityGraph } from './identity-graph';
import { fromSnapshotRecord, toSnapshotRecord } from './profile-snapshot-record';
import { profileKey } from './redis-keys';

/** One record appended to the snapshot topic. */
export interface WrittenSnapshot {
  tenant: string;
  profileId: string;
  /** null: a tombstone. */
  version: number | null;
  /**
   * Possibly written by an earlier delivery of the message, not sent again by this chunk (a replay
   * or duplicate whose profile was merged away since: resolver-handler.ts writtenSnapshots).
   */
  earlierDelivery?: true;
}

/**
 * The records of one chunk the guard has to check: per profile, only the last the chunk sent, since
 * the chunk's compactOutputs (latestPerKey) drops the earlier ones before they are sent, so they
 * are in no log; checking them would find them behind (a later version of the same chunk exists)
 * and append the current state once more for nothing. A record of an earlier delivery is kept
 * unless the chunk sent one of that profile after it. Order kept. Pure.
 */
export function lastWrittenPerProfile(written: readonly WrittenSnapshot[]): WrittenSnapshot[] {
  const id = (w: WrittenSnapshot) => `${w.tenant}\u0000${w.profileId}`;
  const lastSent = new Map<string, number>();
  written.forEach((w, i) => {
    if (w.earlierDelivery === undefined) lastSent.set(id(w), i);
  });
  return written.filter((w, i) => {
    const last = lastSent.get(id(w));
    return last === undefined || last === i || (w.earlierDelivery !== undefined && last < i);
  });
}

/** What Redis holds for a profile now. */
export interface StoredProfileVersion {
  /** null: Redis has no such profile (deleted, or a graph that was never restored). */
  version: number | null;
  mergedInto: string | null;
}

export type SnapshotCorrection = { kind: 'snapshot' | 'tombstone'; tenant: string; profileId: string };

/** The records that must be appended again because Redis moved past what was written. Pure. */
export function overtakenSnapshots(
  written: WrittenSnapshot[],
  stored: (w: WrittenSnapshot) => StoredProfileVersion,
): SnapshotCorrection[] {
  const corrections = new Map<string, SnapshotCorrection>();
  for (const w of written) {
    const now = stored(w);
    const id = `${w.tenant}\u0000${w.profileId}`;
    // A merge is final: whatever was written, the loser's last record must be a tombstone.
    if (now.mergedInto !== null) {
      if (w.version !== null)
        corrections.set(id, { kind: 'tombstone', tenant: w.tenant, profileId: w.profileId });
    } else if (now.version !== null && (w.version === null || now.version > w.version)) {
      corrections.set(id, { kind: 'snapshot', tenant: w.tenant, profileId: w.profileId });
    }
    // Redis without the profile: nothing newer to write (a wiped graph must not erase the topic).
  }
  return [...corrections.values()];
}

export interface SnapshotGuardDeps extends MessageSender {
  redis: Redis;
  graph: Pick<IdentityGraph, 'getProfile'>;
  codec: RecordEncoder;
  /** The topic of the snapshot stream (cdp.profiles.v1 in production). */
  topic: string;
  now?: () => Date;
}

async function storedVersions(redis: Redis, written: WrittenSnapshot[]): Promise<StoredProfileVersion[]> {
  const pipeline = redis.pipeline();
  for (const w of written) pipeline.hmget(profileKey(w.tenant, w.profileId), 'v', 'into');
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, reply]) => {
    if (err) throw err;
    const [v, into] = reply as [string | null, string | null];
    return { version: v === null ? null : Number(v), mergedInto: into };
  });
}

/**
 * Call once `written` is acknowledged by Kafka and before the input offsets are committed. Appends
 * the current state of every profile Redis has moved past, then checks those again, until none is
 * behind. Returns how many records it appended.
 */
export async function reassertSnapshots(
  deps: SnapshotGuardDeps,
  written: WrittenSnapshot[],
): Promise<number> {
  let pending = written;
  let appended = 0;
  while (pending.length > 0) {
    const versions = await storedVersions(deps.redis, pending);
    const byIndex = new Map(pending.map((w, i) => [w, versions[i] as StoredProfileVersion]));
    const corrections = overtakenSnapshots(pending, (w) => byIndex.get(w) as StoredProfileVersion);
    const messages: OutgoingMessage[] = [];
    const next: WrittenSnapshot[] = [];
    for (const c of corrections) {
      const profile = c.kind === 'snapshot' ? await deps.graph.getProfile(c.tenant, c.profileId) : null;
      // getProfile follows merge pointers: a profile merged away since the check is tombstoned.
      if (profile === null || profile.profileId !== c.profileId) {
        messages.push({ topic: deps.topic, key: c.profileId, value: null });
        next.push({ tenant: c.tenant, profileId: c.profileId, version: null });
      } else {
        const record = toSnapshotRecord(c.tenant, profile, deps.now?.() ?? new Date());
        messages.push({
          topic: deps.topic,
          key: profileSnapshots.key(record),
          value: await deps.codec.encodeRecord(profileSnapshots, record, deps.topic),
        });
        next.push({ tenant: c.tenant, profileId: c.profileId, version: profile.version });
      }
    }
    if (messages.length > 0) await deps.send(messages);
    appended += messages.length;
    pending = next;
  }
  return appended;
}

export interface ReconcileSummary {
  /** Profiles whose last record is a snapshot (tombstones carry no tenant and are final). */
  checked: number;
  appended: number;
}

/** Reads `deps.topic` to its end and reasserts the last record of every profile against Redis. */
export async function reconcileSnapshotTopic(
  deps: SnapshotGuardDeps & {
    kafka: Kafka;
    codec: RecordEncoder & RecordDecoder;
    tenant?: string;
  },
): Promise<ReconcileSummary> {
  const last = new Map<string, WrittenSnapshot | null>();
  await readTopicToEnd({
    kafka: deps.kafka,
    topic: deps.topic,
    onRecord: async ({ key, value }) => {
      const id = key?.toString('utf8') ?? '';
      if (value === null) {
        last.set(id, null);
        return;
      }
      const { tenant, snapshot } = fromSnapshotRecord(await deps.codec.decodeRecord(profileSnapshots, value));
      last.set(id, { tenant, profileId: snapshot.profileId, version: snapshot.version });
    },
  });
  const written = [...last.values()].filter(
    (w): w is WrittenSnapshot => w !== null && (deps.tenant === undefined || w.tenant === deps.tenant),
  );
  return { checked: written.length, appended: await reassertSnapshots(deps, written) };
}
