// cdp.segments.computed.v1: a computed trait of a profile took a new value; emitted only on change.
import { z } from 'zod';
import { TOPICS } from '../kafka/topics';
import { avroInt, avroLong, defineStream, epochMillis } from './stream';

export const computedTraitChangeRecordSchema = z.object({
  /** Deterministic (tenant, trait, profile, version): the idempotency id downstream. */
  changeId: z.string(),
  tenant: z.string(),
  traitId: z.string(),
  profileId: z.string(),
  /** JSON text; null when the trait has no value. */
  value: z.string().nullable(),
  /** JSON text of the value before; null when it had none. */
  previous: z.string().nullable(),
  /** Per (trait, profile); consumers keep the highest. */
  version: avroLong,
  definitionVersion: avroInt,
  changedAt: epochMillis,
});

export type ComputedTraitChangeRecord = z.infer<typeof computedTraitChangeRecordSchema>;

export const computedTraitChanges = defineStream({
  name: 'computedTraitChanges',
  topic: TOPICS.computedTraitChanges,
  record: computedTraitChangeRecordSchema,
  key: (record) => `${record.tenant}:${record.profileId}`,
});
