// What resolving an event produced: the typed outcome the outputs (resolved event, profile change,
// snapshot, merge, tombstones) are built from, and the narrow parsing of the Lua scripts' JSON.
import { INGESTION_WARNING_CODES } from '../common/streams/ingestion-warnings';
import { isJsonObject } from '../common/events/json-object';
import type {
  IdentityWarning,
  IdentityWarningCode,
  RefusedIdentifier,
  RefusalReason,
} from './identity-event';
import { isConsentTrait } from './consent-operations';
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
  /** The identifiers it held, now the survivor's; sorted. */
  identifiersMoved: string[];
}

export interface IdentityOutcome {
  /** resolved: applied now; replayed: applied before, its outputs not yet acknowledged: the
   *  stored outcome, to be re-sent as it was; duplicate: applied before and its outputs
   *  acknowledged (nothing to re-send but the resolved event and snapshot); unresolved: the event
   *  has no usable identifier (graph untouched). */
  status: 'resolved' | 'replayed' | 'duplicate' | 'unresolved';
  /** replayed or duplicate: this messageId was already applied, nothing changed now. */
  duplicate: boolean;
  tenant: string;
  messageId: string;
  profileId: string | null;
  /** The profile's version right after this event was applied (what its change carries); null
   *  for a duplicate or an unresolved event. */
  version: number | null;
  /** When the event was applied, epoch ms: the time its outputs carry (the same on a replay). */
  appliedAt: number;
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
  /**
   * replayed or duplicate: the profiles between the one the message was applied to and today's
   * `profile`, all merged away since, in merge order, each with its last version. An earlier
   * delivery may have written a snapshot of any of them; empty otherwise.
   */
  mergedSince: MergedAway[];
}

/** A profile merged away after a message was applied to it (IdentityOutcome.mergedSince). */
export interface MergedAway {
  profileId: string;
  version: number;
}

/** Input the graph cannot take at all (bad tenant, messageId or timestamp): for the DLQ. */
export interface IdentityRejection {
  status: 'rejected';
  tenant: string;
  messageId: string;
  reason: string;
}

/** Dropped before the graph: one of its identifiers is on the privacy suppression list. */
export interface IdentitySuppressed {
  status: 'suppressed';
  tenant: string;
  messageId: string;
}

class LuaReplyError extends Error {
  override name = 'LuaReplyError';
}

type Json = Record<string, unknown>;

function record(value: unknown, what: string): Json {
  if (!isJsonObject(value)) throw new LuaReplyError(`${what}: not an object`);
  return value;
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

const WARNING_CODES: ReadonlySet<string> = new Set<IdentityWarningCode>(INGESTION_WARNING_CODES);
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
    // Consent entries are kept in traitState but shown as `consent` (consent-operations.ts).
    if (entry.kind !== 'unset' && !isConsentTrait(name))
      traits[name] = JSON.parse(entry.value ?? 'null') as unknown;
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

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys<T>(object: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => compareText(a, b)));
}

/** Parses the JSON reply of resolve-event-4.lua; the pre-graph refusals and warnings come first
 * (they are recomputed from the event, so a replay has them too). `now` is the time of this call. */
export function outcomeFromLua(
  reply: unknown,
  context: {
    tenant: string;
    messageId: string;
    refused: RefusedIdentifier[];
    warnings: IdentityWarning[];
    now: number;
  },
): IdentityOutcome | IdentitySuppressed {
  const r = record(JSON.parse(text(reply, 'resolve-event reply')), 'resolve-event reply');
  const status = text(r.status, 'status');
  if (status === 'suppressed') return { status, tenant: context.tenant, messageId: context.messageId };
  const profile = r.profile === undefined ? null : snapshotFromLua(r.profile);
  const mergedSince = list(r.mergedSince, 'mergedSince').map((item): MergedAway => {
    const [profileId, version] = list(item, 'mergedSince entry');
    return {
      profileId: text(profileId, 'mergedSince.profileId'),
      version: num(version, 'mergedSince.version'),
    };
  });
  if (status === 'duplicate') {
    return {
      status: 'duplicate',
      duplicate: true,
      tenant: context.tenant,
      messageId: context.messageId,
      profileId: profile?.profileId ?? null,
      version: null,
      appliedAt: context.now,
      created: false,
      changed: false,
      mergedFrom: [],
      identifiersAdded: [],
      identifiersRefused: [],
      traitsChanged: [],
      tombstones: [],
      warnings: [],
      profile,
      mergedSince,
    };
  }
  if (status !== 'resolved' && status !== 'replayed') throw new LuaReplyError(`unexpected status ${status}`);
  const o = record(r.outcome, 'outcome');
  return {
    status,
    duplicate: status === 'replayed',
    tenant: context.tenant,
    messageId: context.messageId,
    profileId: text(o.profileId, 'profileId'),
    version: num(o.version, 'version'),
    appliedAt: num(o.at, 'at'),
    created: o.created === true,
    changed: o.changed === true,
    mergedFrom: list(o.mergedFrom, 'mergedFrom').map((id) => text(id, 'mergedFrom')),
    identifiersAdded: list(o.added, 'added').map((id) => text(id, 'added')),
    identifiersRefused: [
      ...context.refused,
      ...list(o.refused, 'refused').map((item): RefusedIdentifier => {
        const x = record(item, 'refused');
        const reason = text(x.reason, 'refused.reason');
        if (!REFUSAL_REASONS.has(reason)) throw new LuaReplyError(`unknown refusal reason ${reason}`);
        return { identifier: text(x.identifier, 'refused.identifier'), reason: reason as RefusalReason };
      }),
    ],
    traitsChanged: list(o.traitsChanged, 'traitsChanged')
      .map((item): TraitChange => {
        const x = record(item, 'traitsChanged');
        return {
          name: text(x.name, 'traitsChanged.name'),
          oldValue: optionalText(x.old, 'traitsChanged.old'),
          newValue: optionalText(x.new, 'traitsChanged.new'),
        };
      })
      .sort((a, b) => compareText(a.name, b.name)),
    tombstones: list(o.tombstones, 'tombstones').map((item): Tombstone => {
      const x = record(item, 'tombstone');
      return {
        profileId: text(x.profileId, 'tombstone.profileId'),
        mergedInto: text(x.mergedInto, 'tombstone.mergedInto'),
        version: num(x.version, 'tombstone.version'),
        identifiersMoved: list(x.moved, 'tombstone.moved')
          .map((id) => text(id, 'moved'))
          .sort(compareText),
      };
    }),
    warnings: [
      ...context.warnings,
      ...list(o.warnings, 'warnings').map((item): IdentityWarning => {
        const x = record(item, 'warning');
        const code = text(x.code, 'warning.code');
        if (!WARNING_CODES.has(code)) throw new LuaReplyError(`unknown warning code ${code}`);
        const warning: IdentityWarning = {
          code: code as IdentityWarningCode,
          message: text(x.message, 'warning.message'),
        };
        if (x.identifier !== undefined) warning.identifier = text(x.identifier, 'warning.identifier');
        if (x.trait !== undefined) warning.trait = text(x.trait, 'warning.trait');
        return warning;
      }),
    ],
    profile,
    mergedSince,
  };
}
