// A profile as a record of the snapshot stream (services/common/streams/profile-snapshots.ts) and
// back. Pure: the resolver writes it after every event, `cdp identity rebuild` reads it to restore Redis.
import { z } from 'zod';
import { isJsonObject } from '../common/events/json-object';
import type { ProfileSnapshotRecord } from '../common/streams/profile-snapshots';
import type { ProfileSnapshot } from './identity-outcome';
import type { TraitEntry } from './trait-operations';

export function toSnapshotRecord(tenant: string, profile: ProfileSnapshot, now: Date): ProfileSnapshotRecord {
  return {
    tenant,
    profileId: profile.profileId,
    version: profile.version,
    identifiers: profile.identifiers,
    traits: JSON.stringify(profile.traits),
    traitTimestamps: Object.fromEntries(Object.entries(profile.traitState).map(([n, e]) => [n, e.ts])),
    // Merged-away profiles are tombstoned, never written with mergedInto (see resolver-outputs.ts).
    mergedInto: null,
    // The resolver's merge cap counts exactly this list, so it is the number the cap applies to.
    mergeCount: profile.mergedFrom.length,
    firstSeen: Date.parse(profile.firstSeen),
    lastSeen: Date.parse(profile.lastSeen),
    updatedAt: now.getTime(),
    mergedFrom: profile.mergedFrom,
    traitState: JSON.stringify(profile.traitState),
  };
}

const traitEntrySchema = z.object({
  kind: z.enum(['set', 'set_once', 'unset']),
  ts: z.number(),
  value: z.string().optional(),
});

export class SnapshotRecordError extends Error {
  override name = 'SnapshotRecordError';
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SnapshotRecordError(`${what} is not valid JSON`);
  }
}

/**
 * Snapshots written before traitState existed only carry visible values and their times: those
 * come back as plain sets, which is what they were unless a set_once / unset was involved.
 */
function legacyTraitState(traits: unknown, timestamps: Record<string, number>): Record<string, TraitEntry> {
  const state: Record<string, TraitEntry> = {};
  if (!isJsonObject(traits)) return state;
  for (const [name, value] of Object.entries(traits)) {
    state[name] = { kind: 'set', ts: timestamps[name] ?? 0, value: JSON.stringify(value) };
  }
  return state;
}

/**
 * A snapshot record (decoded by the stream, so its shape is checked) -> tenant and snapshot; throws
 * SnapshotRecordError when its JSON fields are not what the resolver wrote.
 */
export function fromSnapshotRecord(r: ProfileSnapshotRecord): { tenant: string; snapshot: ProfileSnapshot } {
  const traits = parseJson(r.traits, `profile ${r.profileId}: traits`);
  let traitState: Record<string, TraitEntry>;
  if (r.traitState === null) {
    traitState = legacyTraitState(traits, r.traitTimestamps);
  } else {
    const state = z
      .record(z.string(), traitEntrySchema)
      .safeParse(parseJson(r.traitState, `profile ${r.profileId}: traitState`));
    if (!state.success) throw new SnapshotRecordError(`profile ${r.profileId}: traitState is malformed`);
    traitState = state.data;
  }
  return {
    tenant: r.tenant,
    snapshot: {
      profileId: r.profileId,
      identifiers: [...r.identifiers].sort(),
      traits: (traits ?? {}) as Record<string, unknown>,
      traitState,
      version: r.version,
      firstSeen: new Date(r.firstSeen).toISOString(),
      lastSeen: new Date(r.lastSeen).toISOString(),
      mergedFrom: r.mergedFrom,
    },
  };
}
