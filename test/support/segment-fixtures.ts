// Definitions, events and changes for the segment engine tests, in the forms the engine consumes.
import type { StoredDefinition } from '../../services/common/definitions/definition-kind';
import {
  computedTraitSchema,
  type ComputedTraitDefinition,
} from '../../services/common/definitions/kinds/computed-trait';
import { segmentSchema, type SegmentDefinition } from '../../services/common/definitions/kinds/segment';
import type { ProfileChangeRecord } from '../../services/common/streams/profile-changes';
import type { ResolvedEventRecord } from '../../services/common/streams/resolved-events';
import { buildPlan, type SegmentPlan } from '../../services/segment-engine/segment-plan';

export const DAY = 86_400_000;

export function stored<T>(
  tenant: string,
  body: T & { kind: string; id: string },
  version = 1,
): StoredDefinition<T> {
  return { tenant, kind: body.kind, id: body.id, version, body, updatedAt: 0 };
}

export function planOf(tenant: string, bodies: unknown[]): SegmentPlan {
  const segments: StoredDefinition<SegmentDefinition>[] = [];
  const traits: StoredDefinition<ComputedTraitDefinition>[] = [];
  for (const b of bodies) {
    const kind = (b as { kind: string }).kind;
    if (kind === 'segment') segments.push(stored(tenant, segmentSchema.parse(b)));
    else traits.push(stored(tenant, computedTraitSchema.parse(b)));
  }
  return buildPlan(segments, traits);
}

export function trackEvent(
  tenant: string,
  profileId: string,
  messageId: string,
  event: string,
  at: number,
  properties: Record<string, unknown> = {},
): ResolvedEventRecord {
  return {
    messageId,
    type: 'track',
    tenant,
    userId: `u-${profileId}`,
    anonymousId: null,
    previousId: null,
    event,
    name: null,
    groupId: null,
    traits: null,
    properties: JSON.stringify(properties),
    context: '{}',
    integrations: null,
    timestamp: at,
    sentAt: null,
    originalTimestamp: null,
    receivedAt: at,
    profileId,
    resolvedAt: at,
  };
}

export function traitChange(
  tenant: string,
  profileId: string,
  version: number,
  traits: Record<string, unknown>,
): ProfileChangeRecord {
  return {
    changeId: `${profileId}:${version}`,
    tenant,
    profileId,
    version,
    kind: version === 1 ? 'created' : 'updated',
    sourceMessageId: null,
    identifiersAdded: [],
    mergedFrom: [],
    traitsChanged: Object.entries(traits).map(([name, v]) => ({
      name,
      oldValue: null,
      newValue: v === null ? null : JSON.stringify(v),
    })),
    changedAt: 0,
  };
}
