// Which identifiers an event carries: pulled from the Segment fields, normalized per type, blocked
// values dropped with a warning, duplicates removed, sorted highest priority first (the order the
// resolver drops them in reverse when a limit would be exceeded).
import {
  IDENTIFIER_TYPE_PATTERN,
  compareTypePriority,
  isBlockedValue,
  type IdentityRules,
} from './identity-rules';
import { isJsonObject } from '../common/events/json-object';
import type { IdentityEventInput, IdentityWarning, RefusedIdentifier } from './identity-event';
import { normalizeIdentifierValue } from './normalize-identifier';

export interface ExtractedIdentifiers {
  /** `type:value`, normalized, unique, highest priority first (ties: order of appearance). */
  identifiers: string[];
  refused: RefusedIdentifier[];
  warnings: IdentityWarning[];
}

interface Candidate {
  type: string;
  value: unknown;
  source: string;
}

/**
 * Sources, in order of appearance:
 * - `userId` -> user_id; `anonymousId` -> anonymous_id;
 * - alias `previousId` -> anonymous_id: aliasing is for the pre-login id; two user_ids never
 *   merge anyway, so typing it as user_id could never link anything;
 * - `traits.email` / `traits.phone` (not on group calls, whose traits describe the group) and
 *   `context.traits.email` / `context.traits.phone`;
 * - `context.device.id` -> device_id;
 * - `context.externalIds[{id, type}]` -> `type` lower-cased (entries whose `collection` is set to
 *   something else than `users` describe accounts and are skipped).
 * null / undefined fields are simply absent; any other non-string, non-number value is refused.
 */
function collectCandidates(
  event: IdentityEventInput,
  max: number,
): {
  candidates: Candidate[];
  warnings: IdentityWarning[];
  /** Fields past the first `max`, not looked at. */
  ignored: number;
} {
  const candidates: Candidate[] = [];
  const warnings: IdentityWarning[] = [];
  const add = (type: string, value: unknown, source: string): void => {
    if (value !== undefined && value !== null) candidates.push({ type, value, source });
  };
  add('user_id', event.userId, 'userId');
  add('anonymous_id', event.anonymousId, 'anonymousId');
  if (event.type === 'alias') add('anonymous_id', event.previousId, 'previousId');
  if (event.type !== 'group' && isJsonObject(event.traits)) {
    add('email', event.traits.email, 'traits.email');
    add('phone', event.traits.phone, 'traits.phone');
  }
  const context = isJsonObject(event.context) ? event.context : {};
  if (isJsonObject(context.traits)) {
    add('email', context.traits.email, 'context.traits.email');
    add('phone', context.traits.phone, 'context.traits.phone');
  }
  if (isJsonObject(context.device)) add('device_id', context.device.id, 'context.device.id');
  let ignored = 0;
  if (Array.isArray(context.externalIds)) {
    // Entries past the cap are not even read: an event's cost stays bounded.
    const room = Math.max(0, max - candidates.length);
    ignored += Math.max(0, context.externalIds.length - room);
    context.externalIds.slice(0, room).forEach((entry: unknown, index) => {
      const source = `context.externalIds[${index}]`;
      if (!isJsonObject(entry)) {
        warnings.push({ code: 'invalid_value', message: `${source} is not an object; ignored` });
        return;
      }
      if (entry.collection !== undefined && entry.collection !== 'users') return;
      const type = typeof entry.type === 'string' ? entry.type.trim().toLowerCase() : '';
      if (!IDENTIFIER_TYPE_PATTERN.test(type)) {
        warnings.push({
          code: 'invalid_value',
          message: `${source}.type ${JSON.stringify(entry.type)} is not a valid identifier type (lower-case letters, digits, _); ignored`,
        });
        return;
      }
      add(type, entry.id, `${source}.id`);
    });
  }
  ignored += Math.max(0, candidates.length - max);
  return { candidates: candidates.slice(0, max), warnings, ignored };
}

function describeRaw(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

export function extractIdentifiers(event: IdentityEventInput, rules: IdentityRules): ExtractedIdentifiers {
  // Bounds the work and the warnings one event can cause: fields past the cap are not even
  // normalized, and all of them are one warning.
  const max = rules.maxIdentifiersPerEvent;
  const { candidates, warnings, ignored } = collectCandidates(event, max);
  const refused: RefusedIdentifier[] = [];
  if (ignored > 0) {
    warnings.push({
      code: 'event_identifier_cap',
      message: `${ignored} identifier fields past the first ${max} of the event ignored`,
    });
  }
  const accepted: { type: string; identifier: string; order: number }[] = [];
  const seen = new Set<string>();

  candidates.forEach((candidate, order) => {
    const { type, value, source } = candidate;
    const rawIdentifier = `${type}:${describeRaw(value)}`;
    const refuse = (reason: 'blocked_value' | 'invalid_value', why: string): void => {
      // The same bad value from two fields is one refusal.
      if (refused.some((r) => r.identifier === rawIdentifier && r.reason === reason)) return;
      refused.push({ identifier: rawIdentifier, reason });
      warnings.push({ code: reason, identifier: rawIdentifier, message: `${source}: ${why}` });
    };
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      refuse(
        'invalid_value',
        `a ${Array.isArray(value) ? 'array' : typeof value} is not an identifier value`,
      );
      return;
    }
    const raw = String(value);
    if (isBlockedValue(rules, type, raw.trim())) {
      refuse(
        'blocked_value',
        `value ${JSON.stringify(raw)} is blocked for ${type}; kept in the payload only`,
      );
      return;
    }
    const normalized = normalizeIdentifierValue(type, raw, { phoneDefaultRegion: rules.phoneDefaultRegion });
    if (!normalized.ok) {
      refuse('invalid_value', `${type} ${JSON.stringify(raw)} refused: ${normalized.reason}`);
      return;
    }
    if (isBlockedValue(rules, type, normalized.value)) {
      refuse(
        'blocked_value',
        `value ${JSON.stringify(raw)} is blocked for ${type}; kept in the payload only`,
      );
      return;
    }
    const identifier = `${type}:${normalized.value}`;
    if (seen.has(identifier)) return;
    seen.add(identifier);
    accepted.push({ type, identifier, order });
  });

  accepted.sort((a, b) => compareTypePriority(rules, a.type, b.type) || a.order - b.order);
  return { identifiers: accepted.map((a) => a.identifier), refused, warnings };
}

/** `type:value` -> [type, value]; the type never contains a colon, the value may. */
export function splitIdentifier(identifier: string): [string, string] {
  const colon = identifier.indexOf(':');
  if (colon <= 0) throw new Error(`not a type:value identifier: ${JSON.stringify(identifier)}`);
  return [identifier.slice(0, colon), identifier.slice(colon + 1)];
}

/**
 * Normalizes a `type:value` typed by a person (e.g. `cdp profile get email:Ann@X.com`).
 * Errors are values: the CLI prints the reason.
 */
export function normalizeIdentifier(
  identifier: string,
  rules: IdentityRules,
): { ok: true; identifier: string } | { ok: false; reason: string } {
  const colon = identifier.indexOf(':');
  if (colon <= 0) return { ok: false, reason: `expected type:value, got ${JSON.stringify(identifier)}` };
  const type = identifier.slice(0, colon).trim().toLowerCase();
  if (!IDENTIFIER_TYPE_PATTERN.test(type))
    return { ok: false, reason: `invalid identifier type ${JSON.stringify(type)}` };
  const normalized = normalizeIdentifierValue(type, identifier.slice(colon + 1), {
    phoneDefaultRegion: rules.phoneDefaultRegion,
  });
  if (!normalized.ok) return { ok: false, reason: normalized.reason };
  return { ok: true, identifier: `${type}:${normalized.value}` };
}
