// cdp.privacy.receipts.v1: what one component did for one privacy request.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { PRIVACY_ACTIONS } from './privacy-requests';
import { defineStream, epochMillis } from './stream';

export const PRIVACY_RECEIPT_STATUSES = ['completed', 'not_found', 'failed'] as const;

export const privacyReceiptRecordSchema = z.object({
  requestId: z.string(),
  tenant: z.string(),
  action: z.enum(PRIVACY_ACTIONS),
  /** e.g. identity-resolver, clickhouse-sink. */
  component: z.string(),
  status: z.enum(PRIVACY_RECEIPT_STATUSES),
  profileIds: z.array(z.string()),
  identifiers: z.array(z.string()),
  detail: z.string().nullable(),
  completedAt: epochMillis,
});

export type PrivacyReceiptRecord = z.infer<typeof privacyReceiptRecordSchema>;

export const privacyReceipts = defineStream({
  name: 'privacyReceipts',
  topic: TOPICS.privacyReceipts,
  record: privacyReceiptRecordSchema,
  key: (record) => `${record.tenant}:${record.requestId}`,
});
