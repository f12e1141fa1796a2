// Deletion requests to destinations that declare `supports_deletion`: the privacy service calls
// deleteSubject for each. A webhook gets a signed POST of the documented body (docs/destinations.md,
// "Deletion"); a Segment-compatible API gets the call of type `delete` in a batch at `<url>/v1/batch`
// (where its other calls go); a kafka destination gets a record of type `delete`. Retrying is the caller's: the answer says whether to.
import type { AvroCodec } from '../common/codec/avro-codec';
import type { Destination } from '../common/definitions/kinds/destination';
import type { MessageSender } from '../common/kafka/producer';
import { idempotencyId, type QueuedDelivery, type SegmentCall } from './delivery';
import { send, type Answer } from './transports';

export interface DeletionSubject {
  tenant: string;
  profileId: string;
  /** `type:value` identifiers of the subject. */
  identifiers: string[];
  /** The privacy request it answers: the idempotency source. */
  requestId: string;
}

export function deletionCall(destination: Destination, subject: DeletionSubject): SegmentCall {
  const id = idempotencyId(subject.tenant, destination.id, `privacy:${subject.requestId}`, 'delete');
  const userId = subject.identifiers.find((i) => i.startsWith('user_id:'))?.slice('user_id:'.length) ?? null;
  return {
    messageId: id,
    type: 'delete' as never,
    userId,
    timestamp: new Date().toISOString(),
    context: {
      cdp: {
        tenant: subject.tenant,
        profile_id: subject.profileId,
        identifiers: [...subject.identifiers].sort(),
        destination_id: destination.id,
        source: { stream: 'privacy_requests', id: subject.requestId },
      },
    },
  };
}

/** Sends the deletion now; refuses destinations that do not declare `supports_deletion`. */
export async function deleteSubject(
  destination: Destination,
  subject: DeletionSubject,
  deps: { codec: Pick<AvroCodec, 'encodeRecord'>; producer: MessageSender },
): Promise<Answer> {
  if (!destination.supports_deletion)
    throw new Error(`destination ${destination.id} does not declare supports_deletion`);
  const call = deletionCall(destination, subject);
  const delivery: QueuedDelivery = {
    id: call.messageId,
    tenant: subject.tenant,
    destinationId: destination.id,
    profileId: subject.profileId,
    sourceStream: 'profile_changes',
    sourceId: `privacy:${subject.requestId}`,
    createdAt: Date.now(),
    call,
  };
  // One call alone, never batched with other data: a deletion is its own request.
  return send({ ...destination, batch_size: 1 } as Destination, [delivery], deps);
}
