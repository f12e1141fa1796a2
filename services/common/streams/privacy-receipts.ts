// cdp.privacy.receipts.v1: what one component did for one privacy request.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { PRIVACY_ACTIONS } from './privacy-requests';
import { avroLong, defineStream, epochMillis } from './stream';

export const PRIVACY_RECEIPT_STATUSES = ['completed', 'not_found', 'failed'] as const;

export const privacyReceiptRecordSchema = z.object({
  requestId: z.string(),
  tenant: z.string(),
  action: z.enum(PRIVACY_ACTIONS),
  /** privacy (the service that carries requests out). */
  component: z.string(),
  status: z.enum(PRIVACY_RECEIPT_STATUSES),
  profileIds: z.array(z.string()),
  identifiers: z.array(z.string()),
  detail: z.string().nullable(),
  /** 'receipt:<requestId>': a re-sent receipt is the same receipt. */
  receiptId: z.string(),
  stores: z.array(
    z.object({
      store: z.string(),
      removed: avroLong,
      remaining: avroLong.nullable(),
      expiresAt: epochMillis.nullable(),
      note: z.string().nullable(),
    }),
  ),
  exportPath: z.string().nullable(),
  completedAt: epochMillis,
});

export type PrivacyStoreResult = PrivacyReceiptRecord['stores'][number];

export type PrivacyReceiptRecord = z.infer<typeof privacyReceiptRecordSchema>;

export const privacyReceipts = defineStream({
  name: 'privacyReceipts',
  topic: TOPICS.privacyReceipts,
  record: privacyReceiptRecordSchema,
  key: (record) => `${record.tenant}:${record.requestId}`,
});
