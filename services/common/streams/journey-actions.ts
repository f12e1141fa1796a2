// cdp.journeys.actions.v1: send steps of journey instances, delivered by activation.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { avroInt, defineStream, epochMillis } from './stream';

export const journeyActionRecordSchema = z.object({
  /** Deterministic (journey, version, instance, step): the delivery's idempotency id. */
  actionId: z.string(),
  tenant: z.string(),
  journeyId: z.string(),
  journeyVersion: avroInt,
  instanceId: z.string(),
  stepId: z.string(),
  profileId: z.string(),
  destinationId: z.string(),
  /** The message key of the send step. */
  message: z.string(),
  /** JSON text: userId, identifiers, traits and the trigger event fields the step names. */
  payload: z.string(),
  createdAt: epochMillis,
});

export type JourneyActionRecord = z.infer<typeof journeyActionRecordSchema>;

export const journeyActions = defineStream({
  name: 'journeyActions',
  topic: TOPICS.journeyActions,
  record: journeyActionRecordSchema,
  key: (record) => `${record.tenant}:${record.profileId}`,
});
