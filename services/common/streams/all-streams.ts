// Every stream of the platform, one per topic in kafka/topics.ts (a test keeps the two lists equal).
import { deliveryDecisions, destinationDeadLetters, destinationPayloads } from './activation';
import { computedTraitChanges } from './computed-traits';
import { deadLetters } from './dead-letters';
import { definitions } from './definitions';
import { identityMerges } from './identity-merges';
import { journeyActions } from './journey-actions';
import { ingestionWarnings } from './ingestion-warnings';
import { privacyReceipts } from './privacy-receipts';
import { privacyRequests } from './privacy-requests';
import { profileChanges } from './profile-changes';
import { profileSnapshots } from './profile-snapshots';
import { rawEvents } from './raw-events';
import { resolvedEvents } from './resolved-events';
import { segmentMembership } from './segment-membership';
import type { Stream } from './stream';

export const ALL_STREAMS: readonly Stream[] = [
  rawEvents,
  resolvedEvents,
  profileChanges,
  profileSnapshots,
  identityMerges,
  ingestionWarnings,
  deadLetters,
  segmentMembership,
  computedTraitChanges,
  journeyActions,
  definitions,
  privacyRequests,
  privacyReceipts,
  deliveryDecisions,
  destinationDeadLetters,
  destinationPayloads,
];
