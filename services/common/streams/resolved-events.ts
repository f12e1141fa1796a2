// cdp.events.resolved.v1: the raw event envelope, unchanged, plus the profile it resolved to.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { rawEventRecordSchema } from './raw-events';
import { defineStream, epochMillis } from './stream';

export const resolvedEventRecordSchema = rawEventRecordSchema.extend({
  profileId: z.string(),
  resolvedAt: epochMillis,
});

export type ResolvedEventRecord = z.infer<typeof resolvedEventRecordSchema>;

export const resolvedEvents = defineStream({
  name: 'eventsResolved',
  topic: TOPICS.eventsResolved,
  record: resolvedEventRecordSchema,
  key: (record) => record.profileId,
});
