// cdp.profiles.v1: the latest state of each profile on a compacted topic. A deleted or merged-away
// profile is a tombstone: key = its profileId, value null (no record, so no schema applies).
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { avroInt, avroLong, defineStream, epochMillis } from './stream';

export const profileSnapshotRecordSchema = z.object({
  tenant: z.string(),
  profileId: z.string(),
  version: avroLong,
  identifiers: z.array(z.string()),
  /** JSON object as text. */
  traits: z.string(),
  /** Per trait: event time (epoch ms) of the value kept. */
  traitTimestamps: z.record(z.string(), avroLong),
  mergedInto: z.string().nullable(),
  mergeCount: avroInt,
  firstSeen: epochMillis,
  lastSeen: epochMillis,
  updatedAt: epochMillis,
  mergedFrom: z.array(z.string()),
  /** JSON object as text: trait name -> {kind,value,ts}; null in snapshots older than the field. */
  traitState: z.string().nullable(),
});

export type ProfileSnapshotRecord = z.infer<typeof profileSnapshotRecordSchema>;

export const profileSnapshots = defineStream({
  name: 'profiles',
  topic: TOPICS.profiles,
  record: profileSnapshotRecordSchema,
  key: (record) => record.profileId,
});
