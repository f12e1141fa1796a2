// How events change profile traits, and the one rule that decides which write wins.
//
// Convention (Segment identify + PostHog-style operators, identify calls only):
//   identify traits: { plan: 'pro' }                      -> set plan
//   identify traits: { $set: { plan: 'pro' } }            -> set plan (explicit form)
//   identify traits: { $set_once: { signup: '2024-01' } } -> set signup only if it has no value
//   identify traits: { $unset: ['coupon'] }               -> remove coupon
// Other calls change no trait: `context.traits` on track/page is a client-side cache of old
// values and would overwrite newer ones, and group traits describe the group, not the person.
// A trait set to null keeps the value null (it is not an unset). Other `$` keys are refused with a
// warning. When one event names a trait in several operations, unset beats set beats set_once.
//
// Every stored trait keeps the timestamp of the event that wrote it: last writer wins by event
// time, not by arrival, and merges combine two profiles' entries with the same rule.
import { canonicalJson } from '../common/events/canonical-json';
import { isJsonObject } from '../common/events/json-object';
import type { IdentityEventInput, IdentityWarning } from './identity-event';
import { LONE_SURROGATE } from './normalize-identifier';

export type TraitKind = 'set' | 'set_once' | 'unset';

export interface TraitOperation {
  name: string;
  kind: TraitKind;
  /** Canonical JSON text of the value; absent for unset. */
  value?: string;
}

/** A stored trait: its last winning write. An unset is kept (as a tombstone) so an older set arriving late cannot bring the value back. */
export interface TraitEntry {
  kind: TraitKind;
  /** Event time, epoch milliseconds. */
  ts: number;
  /** Canonical JSON text; absent for unset. */
  value?: string;
}

export { canonicalJson };

export const MAX_TRAIT_NAME_LENGTH = 256;

const PRECEDENCE: Record<TraitKind, number> = { set_once: 0, set: 1, unset: 2 };

export function extractTraitOperations(event: IdentityEventInput): {
  operations: TraitOperation[];
  warnings: IdentityWarning[];
} {
  const warnings: IdentityWarning[] = [];
  if (event.type !== 'identify' || !isJsonObject(event.traits)) return { operations: [], warnings };
  const byName = new Map<string, TraitOperation>();
  const put = (name: string, kind: TraitKind, value: unknown): void => {
    if (
      name.length === 0 ||
      name.length > MAX_TRAIT_NAME_LENGTH ||
      name.startsWith('$') ||
      LONE_SURROGATE.test(name)
    ) {
      warnings.push({
        code: 'invalid_trait',
        trait: name.slice(0, 100),
        message: `trait name ${JSON.stringify(name.slice(0, 100))} refused: empty, over ${MAX_TRAIT_NAME_LENGTH} characters, starting with $ or invalid Unicode`,
      });
      return;
    }
    const existing = byName.get(name);
    if (existing !== undefined && PRECEDENCE[existing.kind] > PRECEDENCE[kind]) return;
    byName.set(name, kind === 'unset' ? { name, kind } : { name, kind, value: canonicalJson(value) });
  };
  const putAll = (kind: 'set' | 'set_once', source: string, object: unknown): void => {
    if (!isJsonObject(object)) {
      warnings.push({
        code: 'invalid_trait',
        trait: source,
        message: `traits.${source} must be an object; ignored`,
      });
      return;
    }
    for (const [name, value] of Object.entries(object)) if (value !== undefined) put(name, kind, value);
  };

  for (const [name, value] of Object.entries(event.traits)) {
    if (value === undefined) continue;
    if (name === '$set') putAll('set', name, value);
    else if (name === '$set_once') putAll('set_once', name, value);
    else if (name === '$unset') {
      if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
        for (const item of value) put(item, 'unset', undefined);
      } else {
        warnings.push({
          code: 'invalid_trait',
          trait: name,
          message: 'traits.$unset must be an array of trait names; ignored',
        });
      }
    } else put(name, 'set', value);
  }
  return { operations: [...byName.values()], warnings };
}

/**
 * Whether `incoming` replaces `existing` (the Lua resolver implements the same rule):
 * - set wins over a set_once value always (replayed in time order, a set_once never overrides a
 *   set), over set or unset when strictly newer;
 * - unset wins when strictly newer (or when nothing is stored: the tombstone is recorded);
 * - set_once wins over nothing, over an older unset, or over a newer set_once (the earliest
 *   set_once is the one that would have stuck).
 * Ties keep what is stored, so in a merge the survivor wins ties.
 */
export function traitEntryWins(existing: TraitEntry | undefined, incoming: TraitEntry): boolean {
  if (existing === undefined) return true;
  switch (incoming.kind) {
    case 'set':
      return existing.kind === 'set_once' || incoming.ts > existing.ts;
    case 'unset':
      return incoming.ts > existing.ts;
    case 'set_once':
      if (existing.kind === 'unset') return incoming.ts > existing.ts;
      if (existing.kind === 'set_once') return incoming.ts < existing.ts;
      return false;
  }
}

/** The value a reader sees: JSON text, or undefined when unset. */
export function visibleTraitValue(entry: TraitEntry | undefined): string | undefined {
  return entry === undefined || entry.kind === 'unset' ? undefined : entry.value;
}

const KIND_CODE: Record<TraitKind, string> = { set: 's', set_once: 'o', unset: 'u' };
const CODE_KIND: Record<string, TraitKind> = { s: 'set', o: 'set_once', u: 'unset' };

/** Redis storage form, shared with the Lua scripts: `<s|o|u><epoch ms>|<json>`. */
export function encodeTraitEntry(entry: TraitEntry): string {
  return `${KIND_CODE[entry.kind]}${Math.trunc(entry.ts)}|${entry.kind === 'unset' ? '' : (entry.value ?? 'null')}`;
}

export function decodeTraitEntry(raw: string): TraitEntry {
  const kind = CODE_KIND[raw.charAt(0)];
  const bar = raw.indexOf('|');
  const ts = Number(raw.slice(1, bar));
  if (kind === undefined || bar < 0 || !Number.isFinite(ts))
    throw new Error(`corrupt trait entry: ${raw.slice(0, 80)}`);
  return kind === 'unset' ? { kind, ts } : { kind, ts, value: raw.slice(bar + 1) };
}
