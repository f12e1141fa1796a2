// A step's records as Kafka messages: membership changes and computed trait changes, each written as
// its stream (keyed by profile, so a profile's records stay in order).
import type { RecordEncoder } from '../common/codec/avro-codec';
import type { OutgoingMessage } from '../common/kafka/producer';
import { computedTraitChanges } from '../common/streams/computed-traits';
import { segmentMembership } from '../common/streams/segment-membership';
import type { ProfileOutputs } from './profile-outputs';

export interface SegmentOutputTopics {
  membership: string;
  computed: string;
}

export async function encodeOutputs(
  codec: RecordEncoder,
  outputs: ProfileOutputs,
  topics: SegmentOutputTopics,
): Promise<OutgoingMessage[]> {
  return [
    ...(await Promise.all(
      outputs.computed.map(async (r) => ({
        topic: topics.computed,
        key: computedTraitChanges.key(r),
        value: await codec.encodeRecord(computedTraitChanges, r, topics.computed),
      })),
    )),
    ...(await Promise.all(
      outputs.membership.map(async (r) => ({
        topic: topics.membership,
        key: segmentMembership.key(r),
        value: await codec.encodeRecord(segmentMembership, r, topics.membership),
      })),
    )),
  ];
}
