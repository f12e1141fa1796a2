// cdp.segments.membership.v1: a profile entered or left a segment; emitted only on change.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { avroInt, avroLong, defineStream, epochMillis } from './stream';

export const MEMBERSHIP_STATUSES = ['entered', 'exited'] as const;

export const segmentMembershipRecordSchema = z.object({
  /** Deterministic (tenant, segment, profile, version): the idempotency id downstream. */
  changeId: z.string(),
  tenant: z.string(),
  segmentId: z.string(),
  profileId: z.string(),
  status: z.enum(MEMBERSHIP_STATUSES),
  /** Per (segment, profile); consumers keep the highest. */
  version: avroLong,
  segmentVersion: avroInt,
  changedAt: epochMillis,
});

export type SegmentMembershipRecord = z.infer<typeof segmentMembershipRecordSchema>;

export const segmentMembership = defineStream({
  name: 'segmentMembership',
  topic: TOPICS.segmentMembership,
  record: segmentMembershipRecordSchema,
  // By profile, so one profile's entries and exits (of every segment) stay in order.
  key: (record) => `${record.tenant}:${record.profileId}`,
});
