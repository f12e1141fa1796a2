// The pure mapping from a source record to the Segment-spec calls one destination receives
// (docs/destinations.md, "Payloads"): which destinations a record concerns, and the exact calls.
import type { Destination } from '../common/definitions/kinds/destination';
import { eventOfRecord } from '../common/events/event-record';
import { isJsonObject } from '../common/events/json-object';
import type { ComputedTraitChangeRecord } from '../common/streams/computed-traits';
import type { JourneyActionRecord } from '../common/streams/journey-actions';
import type { ProfileChangeRecord } from '../common/streams/profile-changes';
import type { ResolvedEventRecord } from '../common/streams/resolved-events';
import type { SegmentMembershipRecord } from '../common/streams/segment-membership';
import { isConsentTrait } from '../identity-resolver/consent-operations';
import { idempotencyId, type SegmentCall, type SourceStream } from './delivery';

export type SourceRecord =
  | { stream: 'membership'; record: SegmentMembershipRecord }
  | { stream: 'computed_traits'; record: ComputedTraitChangeRecord }
  | { stream: 'profile_changes'; record: ProfileChangeRecord }
  | { stream: 'events'; record: ResolvedEventRecord }
  | { stream: 'journey_actions'; record: JourneyActionRecord };

/** The profile as every payload shows it. */
export interface ProfileView {
  profileId: string;
  userId: string | null;
  anonymousId: string | null;
  /** `type:value`, sorted. */
  identifiers: string[];
}

export const AUDIENCE_ENTERED = 'Audience Entered';
export const AUDIENCE_EXITED = 'Audience Exited';
export const JOURNEY_MESSAGE = 'Journey Message';

export function profileView(profileId: string, identifiers: readonly string[]): ProfileView {
  const valueOf = (type: string): string | null => {
    const found = identifiers.find((i) => i.startsWith(`${type}:`));
    return found === undefined ? null : found.slice(type.length + 1);
  };
  return {
    profileId,
    userId: valueOf('user_id'),
    anonymousId: valueOf('anonymous_id'),
    identifiers: [...identifiers].sort(),
  };
}

export function sourceOf(source: SourceRecord): {
  tenant: string;
  profileId: string;
  sourceId: string;
  at: number;
} {
  switch (source.stream) {
    case 'membership':
      return {
        tenant: source.record.tenant,
        profileId: source.record.profileId,
        sourceId: source.record.changeId,
        at: source.record.changedAt,
      };
    case 'computed_traits':
      return {
        tenant: source.record.tenant,
        profileId: source.record.profileId,
        sourceId: source.record.changeId,
        at: source.record.changedAt,
      };
    case 'profile_changes':
      return {
        tenant: source.record.tenant,
        profileId: source.record.profileId,
        sourceId: source.record.changeId,
        at: source.record.changedAt,
      };
    case 'events':
      return {
        tenant: source.record.tenant,
        profileId: source.record.profileId,
        sourceId: `event:${source.record.messageId}`,
        at: source.record.timestamp,
      };
    case 'journey_actions':
      return {
        tenant: source.record.tenant,
        profileId: source.record.profileId,
        sourceId: source.record.actionId,
        at: source.record.createdAt,
      };
  }
}

function parseJsonText(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function pathValue(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split('.')) {
    if (!isJsonObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

type CallBody = Record<string, unknown> & { type: 'identify' | 'track' };

/** The calls of one record for one destination, before the common fields: empty when not subscribed. */
function bodiesFor(source: SourceRecord, destination: Destination): { part: string; body: CallBody }[] {
  const sub = destination.subscribe;
  switch (source.stream) {
    case 'membership': {
      const r = source.record;
      if (!sub.segments.includes(r.segmentId)) return [];
      const member = r.status === 'entered';
      return [
        { part: 'identify', body: { type: 'identify', traits: { [r.segmentId]: member } } },
        {
          part: 'track',
          body: {
            type: 'track',
            event: member ? AUDIENCE_ENTERED : AUDIENCE_EXITED,
            properties: {
              audience_key: r.segmentId,
              [r.segmentId]: member,
              segment_version: r.segmentVersion,
            },
          },
        },
      ];
    }
    case 'computed_traits': {
      const r = source.record;
      if (!sub.computed_traits.includes(r.traitId)) return [];
      return [
        { part: 'identify', body: { type: 'identify', traits: { [r.traitId]: parseJsonText(r.value) } } },
      ];
    }
    case 'profile_changes': {
      const all = sub.profile_traits.includes('*');
      const traits: Record<string, unknown> = {};
      for (const t of source.record.traitsChanged) {
        if (isConsentTrait(t.name) || !(all || sub.profile_traits.includes(t.name))) continue;
        traits[t.name] = parseJsonText(t.newValue);
      }
      return Object.keys(traits).length === 0
        ? []
        : [{ part: 'identify', body: { type: 'identify', traits } }];
    }
    case 'events': {
      const event = eventOfRecord(source.record);
      if (event.type !== 'track') return [];
      const matches = sub.events.some(
        (s) =>
          (s.event === '*' || s.event === event.event) &&
          Object.entries(s.where ?? {}).every(([path, value]) => pathValue(event, path) === value),
      );
      if (!matches) return [];
      return [
        {
          part: 'track',
          body: {
            type: 'track',
            event: event.event,
            properties: event.properties ?? {},
            originalTimestamp: event.timestamp,
            originalMessageId: event.messageId,
          },
        },
      ];
    }
    case 'journey_actions': {
      const r = source.record;
      if (r.destinationId !== destination.id) return [];
      return [
        {
          part: 'track',
          body: {
            type: 'track',
            event: JOURNEY_MESSAGE,
            properties: {
              message_key: r.message,
              journey_id: r.journeyId,
              journey_version: r.journeyVersion,
              step_id: r.stepId,
              instance_id: r.instanceId,
              data: parseJsonText(r.payload),
            },
          },
        },
      ];
    }
  }
}

/** Whether a journey action names this destination: it needs no subscription. */
export function concerns(source: SourceRecord, destination: Destination): boolean {
  return bodiesFor(source, destination).length > 0;
}

export interface PlannedCall {
  id: string;
  sourceStream: SourceStream;
  sourceId: string;
  call: SegmentCall;
}

/** The complete calls for one destination, each with its idempotency id; empty when not subscribed. */
export function callsFor(
  source: SourceRecord,
  destination: Destination,
  profile: ProfileView,
): PlannedCall[] {
  const { tenant, sourceId, at } = sourceOf(source);
  return bodiesFor(source, destination).map(({ part, body }) => {
    const id =
      source.stream === 'journey_actions'
        ? source.record.actionId
        : idempotencyId(tenant, destination.id, sourceId, part);
    const call: SegmentCall = {
      ...body,
      messageId: id,
      userId: profile.userId,
      anonymousId: profile.anonymousId,
      timestamp: new Date(at).toISOString(),
      context: {
        cdp: {
          tenant,
          profile_id: profile.profileId,
          identifiers: profile.identifiers,
          destination_id: destination.id,
          source: { stream: source.stream, id: sourceId },
        },
      },
    };
    return { id, sourceStream: source.stream, sourceId, call };
  });
}
