// The intake: each source record becomes, for every destination it concerns, either queued
// deliveries (in the destination's Redis queue, before the offset is committed: nothing is lost
// by a crash, and the queue's id markers keep a re-handled record from being queued twice) or, when
// the profile's consent does not allow it, `blocked_consent` decisions returned as outputs.
import type { AvroCodec } from '../common/codec/avro-codec';
import type { DefinitionsFollower } from '../common/definitions/definitions-follower';
import type { Destination } from '../common/definitions/kinds/destination';
import { eventOfRecord } from '../common/events/event-record';
import type { ConsumedMessage } from '../common/kafka/consumed-message';
import { PoisonMessageError } from '../common/kafka/consumed-message';
import type { OutgoingMessage } from '../common/kafka/producer';
import type { DeliveryDecisionRecord } from '../common/streams/activation';
import type { AvroStream } from '../common/streams/stream';
import { consentModeOf, type TenantDirectory } from '../common/tenants';
import {
  consentOf,
  extractConsentOperations,
  CONSENT_TRAIT_PREFIX,
} from '../identity-resolver/consent-operations';
import type { IdentityGraph } from '../identity-resolver/identity-graph';
import { checkConsent } from './consent-check';
import type { DecisionLog } from './decision-log';
import { decisionRow } from './decision-log';
import type { DeliveryQueue } from './delivery-queue';
import { callsFor, profileView, sourceOf, type SourceRecord } from './segment-calls';

export type InputRole = 'membership' | 'computed' | 'journeys' | 'changes' | 'events';

const STREAM_OF_ROLE: Record<InputRole, SourceRecord['stream']> = {
  membership: 'membership',
  computed: 'computed_traits',
  journeys: 'journey_actions',
  changes: 'profile_changes',
  events: 'events',
};

export interface HandlerDeps {
  codec: Pick<AvroCodec, 'decodeRecord'>;
  /** Input topic -> its role and stream. */
  inputs: Record<InputRole, { topic: string; stream: AvroStream }>;
  follower: Pick<DefinitionsFollower, 'list'>;
  graph: Pick<IdentityGraph, 'getProfile'>;
  tenants: TenantDirectory;
  queue: DeliveryQueue;
  log: DecisionLog;
  now?: () => number;
}

/** The consent a record is judged by: the profile's, with an event's own preferences over it. */
function consentFor(
  source: SourceRecord,
  stored: Record<string, { granted: boolean }>,
): Record<string, { granted: boolean }> {
  if (source.stream !== 'events') return stored;
  const own = extractConsentOperations(eventOfRecord(source.record));
  const merged = { ...stored };
  for (const op of own) merged[op.name.slice(CONSENT_TRAIT_PREFIX.length)] = { granted: op.value === 'true' };
  return merged;
}

export function createActivationHandler(
  deps: HandlerDeps,
): (message: ConsumedMessage) => Promise<OutgoingMessage[]> {
  const byTopic = new Map(
    (Object.keys(deps.inputs) as InputRole[]).map((role) => [
      deps.inputs[role].topic,
      { role, stream: deps.inputs[role].stream },
    ]),
  );
  const now = deps.now ?? Date.now;
  return async (message) => {
    const input = byTopic.get(message.topic);
    if (input === undefined) throw new PoisonMessageError(`activation does not read topic ${message.topic}`);
    if (message.value === null) return [];
    const record = await deps.codec.decodeRecord(input.stream, message.value);
    const source = { stream: STREAM_OF_ROLE[input.role], record } as SourceRecord;
    const { tenant, profileId, sourceId } = sourceOf(source);

    const destinations = deps.follower.list<Destination>(tenant, 'destination').map((d) => d.body);
    const planned = destinations
      .map((destination) => ({
        destination,
        calls: callsFor(source, destination, profileView(profileId, [])),
      }))
      .filter((p) => p.calls.length > 0);
    if (planned.length === 0) {
      if (source.stream !== 'journey_actions') return [];
      // A send step naming a destination that is not (or no longer) defined: recorded, not silent.
      const row = decisionRow(
        {
          tenant,
          destinationId: source.record.destinationId,
          profileId,
          sourceStream: source.stream,
          sourceId,
          id: source.record.actionId,
          createdAt: now(),
        },
        'dead_lettered',
        {
          attempt: 0,
          reason: `destination '${source.record.destinationId}' is not defined for tenant ${tenant}`,
        },
      );
      return deps.log.decisionMessages([row]);
    }

    const profile = await deps.graph.getProfile(tenant, profileId);
    // The live profile (a merged-away id follows its survivor), so one person's deliveries share one order.
    const view = profileView(profile?.profileId ?? profileId, profile?.identifiers ?? []);
    const consent = consentFor(source, profile === null ? {} : consentOf(profile.traitState));
    const mode = consentModeOf(deps.tenants.byId(tenant));
    const blocked: DeliveryDecisionRecord[] = [];
    const queued: Promise<boolean>[] = [];
    const createdAt = now();
    for (const { destination } of planned) {
      const decision = checkConsent(destination.consent_categories, mode, consent);
      for (const call of callsFor(source, destination, view)) {
        const delivery = {
          id: call.id,
          tenant,
          destinationId: destination.id,
          profileId: view.profileId,
          sourceStream: call.sourceStream,
          sourceId: call.sourceId,
          createdAt,
          call: call.call,
        };
        // Issued together on one connection: Redis runs them in this order, so a profile's calls
        // keep their order in its queue, at the cost of one round trip.
        if (decision.allowed) queued.push(deps.queue.enqueue(delivery, createdAt));
        else
          blocked.push(
            decisionRow(delivery, 'blocked_consent', { attempt: 0, reason: decision.reason, now: createdAt }),
          );
      }
    }
    await Promise.all(queued);
    return deps.log.decisionMessages(blocked);
  };
}
