// What an evaluation changes: the records to emit (entered/exited, computed values) and the state's
// last-emitted entries. Records are emitted only on change; their versions count per (segment or
// trait, profile) and their ids are derived from them, so the same step always yields the same records.
import { canonicalJson } from '../common/events/canonical-json';
import type { ComputedTraitChangeRecord } from '../common/streams/computed-traits';
import type { SegmentMembershipRecord } from '../common/streams/segment-membership';
import type { Evaluation } from './evaluate-profile';
import type { ProfileState } from './profile-state';
import type { SegmentPlan, Selection } from './segment-plan';

export interface ProfileOutputs {
  membership: SegmentMembershipRecord[];
  computed: ComputedTraitChangeRecord[];
}

export function noOutputs(): ProfileOutputs {
  return { membership: [], computed: [] };
}

export function membershipChange(
  state: ProfileState,
  tenant: string,
  profileId: string,
  segmentId: string,
  segmentVersion: number,
  isIn: boolean,
  at: number,
): SegmentMembershipRecord | null {
  const before = state.seg[segmentId];
  if ((before?.in ?? false) === isIn) return null;
  const version = (before?.version ?? 0) + 1;
  state.seg[segmentId] = { in: isIn, at, version };
  return {
    changeId: `${tenant}:${segmentId}:${profileId}:${version}`,
    tenant,
    segmentId,
    profileId,
    status: isIn ? 'entered' : 'exited',
    version,
    segmentVersion,
    changedAt: at,
  };
}

export function computedChange(
  state: ProfileState,
  tenant: string,
  profileId: string,
  traitId: string,
  definitionVersion: number,
  value: string | null,
  at: number,
): ComputedTraitChangeRecord | null {
  const before = state.ct[traitId];
  if ((before?.value ?? null) === value) return null;
  const version = (before?.version ?? 0) + 1;
  state.ct[traitId] = { value, version };
  return {
    changeId: `${tenant}:${traitId}:${profileId}:${version}`,
    tenant,
    traitId,
    profileId,
    value,
    previous: before?.value ?? null,
    version,
    definitionVersion,
    changedAt: at,
  };
}

/**
 * Applies an evaluation to the state's last-emitted entries; returns the records of what changed.
 * With a selection (a partial evaluation) only its definitions are compared.
 */
export function outputsOf(
  state: ProfileState,
  plan: SegmentPlan,
  evaluation: Evaluation,
  tenant: string,
  profileId: string,
  at: number,
  selection?: Selection,
): ProfileOutputs {
  const out = noOutputs();
  for (const t of (selection ?? plan).traits) {
    const v = evaluation.computed[t.id];
    const text = v === null || v === undefined ? null : canonicalJson(v);
    const r = computedChange(state, tenant, profileId, t.id, t.version, text, at);
    if (r) out.computed.push(r);
  }
  // A deleted computed trait: its last value becomes null (the entry keeps its version for a re-creation).
  const planned = new Set(plan.traits.map((t) => t.id));
  for (const id of selection ? [] : Object.keys(state.ct).sort()) {
    if (planned.has(id)) continue;
    const r = computedChange(state, tenant, profileId, id, 0, null, at);
    if (r) out.computed.push(r);
  }
  for (const s of (selection ?? plan).segments) {
    const r = membershipChange(
      state,
      tenant,
      profileId,
      s.id,
      s.version,
      evaluation.segments[s.id] ?? false,
      at,
    );
    if (r) out.membership.push(r);
  }
  return out;
}

/** A merged-away profile leaves every segment it was in. */
export function exitAll(
  state: ProfileState,
  tenant: string,
  profileId: string,
  plan: SegmentPlan,
  at: number,
): ProfileOutputs {
  const out = noOutputs();
  const versions = new Map(plan.segments.map((s) => [s.id, s.version]));
  for (const [segmentId, m] of Object.entries(state.seg).sort(([a], [b]) => a.localeCompare(b))) {
    if (!m.in) continue;
    const r = membershipChange(state, tenant, profileId, segmentId, versions.get(segmentId) ?? 0, false, at);
    if (r) out.membership.push(r);
  }
  return out;
}
