// cdp.privacy.requests.v1: data-subject requests (delete, suppress, access, unsuppress).
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { defineStream, epochMillis } from './stream';

/** Appended only: the Avro enum reads old records with new readers (BACKWARD compatible). */
export const PRIVACY_ACTIONS = ['delete', 'suppress', 'access', 'unsuppress'] as const;

export const privacyRequestRecordSchema = z.object({
  requestId: z.string(),
  tenant: z.string(),
  action: z.enum(PRIVACY_ACTIONS),
  /** 'type:value'; one of identifier or profileId names the subject. */
  identifier: z.string().nullable(),
  profileId: z.string().nullable(),
  requestedBy: z.string().nullable(),
  requestedAt: epochMillis,
});

export type PrivacyAction = (typeof PRIVACY_ACTIONS)[number];
export type PrivacyRequestRecord = z.infer<typeof privacyRequestRecordSchema>;

export const privacyRequests = defineStream({
  name: 'privacyRequests',
  topic: TOPICS.privacyRequests,
  record: privacyRequestRecordSchema,
  key: (record) => `${record.tenant}:${record.requestId}`,
});
