// cdp.profiles.changes.v1: one record per change of one profile; consumers dedupe by (profileId, version).
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { avroLong, defineStream, epochMillis } from './stream';

export const PROFILE_CHANGE_KINDS = ['created', 'updated', 'merged'] as const;

export const traitChangeRecordSchema = z.object({
  name: z.string(),
  /** JSON text; null when the trait was absent. */
  oldValue: z.string().nullable(),
  /** JSON text; null when the trait was unset. */
  newValue: z.string().nullable(),
});

export const profileChangeRecordSchema = z.object({
  /** '<profileId>:<version>'. */
  changeId: z.string(),
  tenant: z.string(),
  profileId: z.string(),
  version: avroLong,
  kind: z.enum(PROFILE_CHANGE_KINDS),
  sourceMessageId: z.string().nullable(),
  identifiersAdded: z.array(z.string()),
  mergedFrom: z.array(z.string()),
  traitsChanged: z.array(traitChangeRecordSchema),
  changedAt: epochMillis,
});

export type TraitChangeRecord = z.infer<typeof traitChangeRecordSchema>;
export type ProfileChangeRecord = z.infer<typeof profileChangeRecordSchema>;

export const profileChanges = defineStream({
  name: 'profileChanges',
  topic: TOPICS.profileChanges,
  record: profileChangeRecordSchema,
  key: (record) => record.profileId,
});
