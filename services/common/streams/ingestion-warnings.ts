// cdp.ingestion.warnings.v1: what identity resolution refused for an event it still processed.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { defineStream, epochMillis } from './stream';

export const INGESTION_WARNING_CODES = [
  'blocked_value',
  'invalid_value',
  'limit',
  'identifier_cap',
  'merge_cap',
  'invalid_trait',
  'event_identifier_cap',
  'trait_cap',
  'timestamp_clamped',
  'suppressed',
] as const;

export const ingestionWarningRecordSchema = z.object({
  /** '<messageId>:<code>:<identifier or trait>', so a redelivery dedupes. */
  warningId: z.string(),
  tenant: z.string(),
  messageId: z.string(),
  profileId: z.string().nullable(),
  code: z.enum(INGESTION_WARNING_CODES),
  message: z.string(),
  identifier: z.string().nullable(),
  trait: z.string().nullable(),
  occurredAt: epochMillis,
});

export type IngestionWarningCode = (typeof INGESTION_WARNING_CODES)[number];
export type IngestionWarningRecord = z.infer<typeof ingestionWarningRecordSchema>;

export const ingestionWarnings = defineStream({
  name: 'ingestionWarnings',
  topic: TOPICS.ingestionWarnings,
  record: ingestionWarningRecordSchema,
  key: (record) => `${record.tenant}:${record.messageId}`,
});
