// What activation queues per destination: one Segment-spec call for one profile, with the id the
// destination dedupes by. The queue (delivery-queue.ts) stores it as JSON.
import { createHash } from 'node:crypto';

/** The streams a delivery can come from (the `sourceStream` of a deliveries row). */
export type SourceStream =
  'membership' | 'computed_traits' | 'profile_changes' | 'events' | 'journey_actions';

/** A Segment-spec call as a receiver gets it (docs/destinations.md, "Payloads"). */
export type SegmentCall = Record<string, unknown> & { messageId: string; type: 'identify' | 'track' };

export interface QueuedDelivery {
  /** Idempotency id: webhook-id, the call's messageId. */
  id: string;
  tenant: string;
  destinationId: string;
  profileId: string;
  sourceStream: SourceStream;
  sourceId: string;
  /** Epoch ms when the source record was turned into this delivery: max age counts from here. */
  createdAt: number;
  call: SegmentCall;
}

/**
 * Deterministic from the source record, the destination and which call of the record it is: a
 * record handled twice (a crash before the offset commit) yields the same id, so it is queued once
 * and a receiver that saw it already can drop it.
 */
export function idempotencyId(tenant: string, destinationId: string, sourceId: string, part: string): string {
  const digest = createHash('sha256')
    .update(`${tenant}\u0000${destinationId}\u0000${sourceId}\u0000${part}`)
    .digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}
