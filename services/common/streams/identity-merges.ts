// cdp.identity.merges.v1: one record per merged-away profile (loser -> survivor).
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { avroLong, defineStream, epochMillis } from './stream';

export const identityMergeRecordSchema = z.object({
  /** '<loserId>:<survivorId>'. */
  mergeId: z.string(),
  tenant: z.string(),
  survivorId: z.string(),
  loserId: z.string(),
  survivorVersion: avroLong,
  /** 'type:value' identifiers that moved from the loser to the survivor. */
  identifiersMoved: z.array(z.string()),
  sourceMessageId: z.string().nullable(),
  mergedAt: epochMillis,
});

export type IdentityMergeRecord = z.infer<typeof identityMergeRecordSchema>;

export const identityMerges = defineStream({
  name: 'identityMerges',
  topic: TOPICS.identityMerges,
  record: identityMergeRecordSchema,
  key: (record) => record.survivorId,
});
