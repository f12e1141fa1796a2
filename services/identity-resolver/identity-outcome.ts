// What resolving an event produced: the typed outcome the outputs (resolved event, profile change,
// snapshot, merge, tombstones) are built from, and the narrow parsing of the Lua scripts' JSON.
import type {
  IdentityWarning,
  IdentityWarningCode,
  RefusedIdentifier,
  RefusalReason,
} from './identity-event';
import { decodeTraitEntry, type TraitEntry } from './trait-operations';

export interface ProfileSnapshot {
  profileId: string;
  /** `type:value`, sorted. */
  identifiers: string[];
  /** What readers see: trait name -> value (unset traits are absent). */
  traits: Record<string, unknown>;
  /** Lossless per-trait state (kind and event time of the winning write, unset tombstones
   * included): what `restoreProfile` needs so that last-writer-wins survives a rebuild. */
  traitState: Record<string, TraitEntry>;
  version: number;
  /** ISO 8601, event time. */
  firstSeen: string;
  lastSeen: string;
  /** Every profile ever merged into this one, transitively. */
  mergedFrom: string[];
}

export interface TraitChange {
  name: string;
  /** JSON text of the value before / after; null when the trait was / is absent. */
  oldValue: string | null;
  newValue: string | null;
}

/** A profile merged away by this event: it now only forwards to `mergedInto`. */
export interface Tombstone {
  profileId: string;
  mergedInto: string;
  version: number;
}

export interface IdentityOutcome {
  /** resolved: applied; duplicate: this messageId was already applied (nothing changed);
   *  unresolved: the event has no usable identifier (graph untouched). */
  status: 'resolved' | 'duplicate' | 'unresolved';
  duplicate: boolean;
  tenant: string;
  messageId: string;
  profileId: string | null;
  created: boolean;
  /** The profile was written (new version): identifiers, traits, merges or first/last seen. */
  changed: boolean;
  /** Profiles merged into profileId by this event. */
  mergedFrom: string[];
  identifiersAdded: string[];
  identifiersRefused: RefusedIdentifier[];
  traitsChanged: TraitChange[];
  tombstones: Tombstone[];
  warnings: IdentityWarning[];
  profile: ProfileSnapshot | null;
}

/** Input the graph cannot take at all (bad tenant, messageId or timestamp): for the DLQ. */
export interface IdentityRejection {
  status: 'rejected';
  tenant: string;
  messageId: string;
  reason: string;
}

class LuaReplyError extends Error {
  override name = 'LuaReplyError';
}

type Json = Record<string, unknown>;

function record(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new LuaReplyError(`${what}: not an object`);
  return value as Json;
}

/** cjson encodes an empty Lua table as {}: read it as []. */
function list(value: unknown, what: string): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return [];
  throw new LuaReplyError(`${what}: not an array`);
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new LuaReplyError(`${what}: not a string`);
  return value;
}

function num(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new LuaReplyError(`${what}: not a number`);
  return value;
}

function optionalText(value: unknown, what: string): string | null {
  return value === undefined || value === null ? null : text(value, what);
}

const WARNING_CODES: ReadonlySet<string> = new Set<IdentityWarningCode>([
  'blocked_value',
  'invalid_value',
  'limit',
  'identifier_cap',
  'merge_cap',
  'invalid_trait',
]);
const REFUSAL_REASONS: ReadonlySet<string> = new Set<RefusalReason>([
  'blocked_value',
  'invalid_value',
  'limit',
  'identifier_cap',
]);

export function snapshotFromLua(raw: unknown): ProfileSnapshot {
  const s = record(raw, 'profile');
  const traitState: Record<string, TraitEntry> = {};
  const traits: Record<string, unknown> = {};
  for (const [name, stored] of Object.entries(record(s.traits ?? {}, 'profile.traits'))) {
    const entry = decodeTraitEntry(text(stored, `trait ${name}`));
    traitState[name] = entry;
    if (entry.kind !== 'unset') traits[name] = JSON.parse(entry.value ?? 'null') as unknown;
  }
  return {
    profileId: text(s.profileId, 'profile.profileId'),
    identifiers: list(s.identifiers, 'profile.identifiers')
      .map((id) => text(id, 'identifier'))
      .sort(),
    traits: sortKeys(traits),
    traitState: sortKeys(traitState),
    version: num(s.version, 'profile.version'),
    firstSeen: new Date(num(s.firstSeen, 'profile.firstSeen')).toISOString(),
    lastSeen: new Date(num(s.lastSeen, 'profile.lastSeen')).toISOString(),
    mergedFrom: list(s.mergedFrom, 'profile.mergedFrom').map((id) => text(id, 'mergedFrom')),
  };
}

function sortKeys<T>(object: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Parses the JSON reply of resolve-event-1.lua; the pre-graph refusals and warnings come first. */
export function outcomeFromLua(
  reply: unknown,
  context: { tenant: string; messageId: string; refused: RefusedIdentifier[]; warnings: IdentityWarning[] },
): IdentityOutcome {
  const r = record(JSON.parse(text(reply, 'resolve-event reply')), 'resolve-event reply');
  const status = text(r.status, 'status');
  const profile = r.profile === undefined ? null : snapshotFromLua(r.profile);
  if (status === 'duplicate') {
    return {
      status: 'duplicate',
      duplicate: true,
      tenant: context.tenant,
      messageId: context.messageId,
      profileId: profile?.profileId ?? null,
      created: false,
      changed: false,
      mergedFrom: [],
      identifiersAdded: [],
      identifiersRefused: [],
      traitsChanged: [],
      tombstones: [],
      warnings: [],
      profile,
    };
  }
  if (status !== 'resolved' || profile === null) throw new LuaReplyError(`unexpected status ${status}`);
  return {
    status: 'resolved',
    duplicate: false,
    tenant: context.tenant,
    messageId: context.messageId,
    profileId: text(r.profileId, 'profileId'),
    created: r.created === true,
    changed: r.changed === true,
    mergedFrom: list(r.mergedFrom, 'mergedFrom').map((id) => text(id, 'mergedFrom')),
    identifiersAdded: list(r.added, 'added').map((id) => text(id, 'added')),
    identifiersRefused: [
      ...context.refused,
      ...list(r.refused, 'refused').map((item): RefusedIdentifier => {
        const o = record(item, 'refused');
        const reason = text(o.reason, 'refused.reason');
        if (!REFUSAL_REASONS.has(reason)) throw new LuaReplyError(`unknown refusal reason ${reason}`);
        return { identifier: text(o.identifier, 'refused.identifier'), reason: reason as RefusalReason };
      }),
    ],
    traitsChanged: list(r.traitsChanged, 'traitsChanged')
      .map((item): TraitChange => {
        const o = record(item, 'traitsChanged');
        return {
          name: text(o.name, 'traitsChanged.name'),
          oldValue: optionalText(o.old, 'traitsChanged.old'),
          newValue: optionalText(o.new, 'traitsChanged.new'),
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    tombstones: list(r.tombstones, 'tombstones').map((item): Tombstone => {
      const o = record(item, 'tombstone');
      return {
        profileId: text(o.profileId, 'tombstone.profileId'),
        mergedInto: text(o.mergedInto, 'tombstone.mergedInto'),
        version: num(o.version, 'tombstone.version'),
      };
    }),
    warnings: [
      ...context.warnings,
      ...list(r.warnings, 'warnings').map((item): IdentityWarning => {
        const o = record(item, 'warning');
        const code = text(o.code, 'warning.code');
        if (!WARNING_CODES.has(code)) throw new LuaReplyError(`unknown warning code ${code}`);
        const warning: IdentityWarning = {
          code: code as IdentityWarningCode,
          message: text(o.message, 'warning.message'),
        };
        if (o.identifier !== undefined) warning.identifier = text(o.identifier, 'warning.identifier');
        return warning;
      }),
    ],
    profile,
  };
}
