// The streams activation writes: its delivery decisions (rows of ClickHouse `deliveries`), its
// destination dead letters, and the calls a kafka destination receives.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { avroInt, avroLong, defineStream, epochMillis } from './stream';

export const DELIVERY_STATUSES = ['delivered', 'retried', 'dead_lettered', 'blocked_consent'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const deliveryDecisionRecordSchema = z.object({
  tenant: z.string(),
  destinationId: z.string(),
  profileId: z.string(),
  sourceStream: z.string(),
  sourceId: z.string(),
  idempotencyId: z.string(),
  attempt: avroInt,
  status: z.string(),
  reason: z.string(),
  httpStatus: avroInt,
  latencyMs: avroLong,
  decidedAt: epochMillis,
});

export type DeliveryDecisionRecord = z.infer<typeof deliveryDecisionRecordSchema>;

export const deliveryDecisions = defineStream({
  name: 'activationDeliveries',
  topic: TOPICS.activationDeliveries,
  record: deliveryDecisionRecordSchema,
  key: (r) => `${r.tenant}:${r.destinationId}:${r.profileId}`,
});

export const destinationDeadLetterRecordSchema = z.object({
  tenant: z.string(),
  destinationId: z.string(),
  profileId: z.string(),
  idempotencyId: z.string(),
  sourceId: z.string(),
  delivery: z.string(),
  lastAnswer: z.string(),
  attempts: avroInt,
  deadAt: epochMillis,
});

export type DestinationDeadLetterRecord = z.infer<typeof destinationDeadLetterRecordSchema>;

export const destinationDeadLetters = defineStream({
  name: 'activationDeadLetters',
  topic: TOPICS.activationDeadLetters,
  record: destinationDeadLetterRecordSchema,
  key: (r) => `${r.tenant}:${r.destinationId}:${r.profileId}`,
});

export const destinationPayloadRecordSchema = z.object({
  messageId: z.string(),
  tenant: z.string(),
  destinationId: z.string(),
  profileId: z.string(),
  userId: z.string().nullable(),
  type: z.string(),
  event: z.string().nullable(),
  payload: z.string(),
  sentAt: epochMillis,
});

export type DestinationPayloadRecord = z.infer<typeof destinationPayloadRecordSchema>;

export const destinationPayloads = defineStream({
  name: 'activationPayloads',
  topic: TOPICS.activationPayloads,
  record: destinationPayloadRecordSchema,
  key: (r) => `${r.tenant}:${r.profileId}`,
});
