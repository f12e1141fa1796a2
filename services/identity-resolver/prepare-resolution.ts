// The pure half of resolving an event: everything that needs no graph state (validation,
// identifier extraction, candidate profile ids, trait operations), producing the request the Lua
// script and the reference model both consume.
import { MESSAGE_ID_MAX_LENGTH } from '../common/events/event-model';
import { TENANT_ID_PATTERN } from '../common/tenants';
import { extractConsentOperations } from './consent-operations';
import { extractIdentifiers } from './extract-identifiers';
import type { IdentityEventInput, IdentityWarning, RefusedIdentifier } from './identity-event';
import type { IdentityRules } from './identity-rules';
import { profileIdFor } from './profile-id';
import { extractTraitOperations, type TraitOperation } from './trait-operations';

/**
 * The event time the graph orders by (trait last-writer-wins, first/last seen): a time later than
 * receivedAt plus the tenant's future tolerance is replaced by receivedAt, so one bad clock cannot
 * freeze a trait for good; a time before receivedAt minus the past bound (when the tenant sets
 * one) is raised to that bound. Without receivedAt the time is kept.
 */
export function orderingTime(
  timestampMs: number,
  receivedAtMs: number | undefined,
  rules: IdentityRules,
): { ms: number; clamped: 'future' | 'past' | null } {
  if (receivedAtMs === undefined || !Number.isFinite(receivedAtMs)) return { ms: timestampMs, clamped: null };
  if (timestampMs > receivedAtMs + rules.eventTimeMaxFutureSeconds * 1000)
    return { ms: receivedAtMs, clamped: 'future' };
  const past = rules.eventTimeMaxPastSeconds;
  if (past !== undefined && timestampMs < receivedAtMs - past * 1000)
    return { ms: receivedAtMs - past * 1000, clamped: 'past' };
  return { ms: timestampMs, clamped: null };
}

export interface ResolutionRequest {
  tenant: string;
  messageId: string;
  /** Event time as ordered by the graph (see orderingTime). */
  timestampMs: number;
  /** Highest priority first. */
  identifiers: string[];
  /** The id of a profile this event would create: derived from its highest-priority identifier. */
  founderProfileId: string | null;
  traitOperations: TraitOperation[];
  /** Refused before the graph was consulted (blocked or invalid values). */
  refused: RefusedIdentifier[];
  warnings: IdentityWarning[];
}

export type PrepareResult = { ok: true; request: ResolutionRequest } | { ok: false; reason: string };

export function prepareResolution(event: IdentityEventInput, rules: IdentityRules): PrepareResult {
  if (typeof event.tenant !== 'string' || !TENANT_ID_PATTERN.test(event.tenant)) {
    return { ok: false, reason: `invalid tenant ${JSON.stringify(event.tenant)}` };
  }
  if (typeof event.messageId !== 'string' || event.messageId.length === 0) {
    return { ok: false, reason: 'messageId is required' };
  }
  if (event.messageId.length > MESSAGE_ID_MAX_LENGTH) {
    return { ok: false, reason: `messageId is longer than ${MESSAGE_ID_MAX_LENGTH} characters` };
  }
  const timestampMs = typeof event.timestamp === 'string' ? Date.parse(event.timestamp) : Number.NaN;
  if (!Number.isFinite(timestampMs)) {
    return { ok: false, reason: `timestamp ${JSON.stringify(event.timestamp)} is not an ISO 8601 date` };
  }
  const receivedAtMs = typeof event.receivedAt === 'string' ? Date.parse(event.receivedAt) : undefined;
  const time = orderingTime(timestampMs, receivedAtMs, rules);
  const clampWarnings: IdentityWarning[] =
    time.clamped === null
      ? []
      : [
          {
            code: 'timestamp_clamped',
            message:
              time.clamped === 'future'
                ? `timestamp ${event.timestamp} is more than ${rules.eventTimeMaxFutureSeconds} s after receivedAt ${String(event.receivedAt)}: ordered as receivedAt`
                : `timestamp ${event.timestamp} is more than ${String(rules.eventTimeMaxPastSeconds)} s before receivedAt ${String(event.receivedAt)}: ordered at that bound`,
          },
        ];
  const extracted = extractIdentifiers(event, rules);
  const traits = extractTraitOperations(event);
  return {
    ok: true,
    request: {
      tenant: event.tenant,
      messageId: event.messageId,
      timestampMs: time.ms,
      identifiers: extracted.identifiers,
      founderProfileId:
        extracted.identifiers[0] === undefined ? null : profileIdFor(event.tenant, extracted.identifiers[0]),
      traitOperations: [...traits.operations, ...extractConsentOperations(event)],
      refused: extracted.refused,
      warnings: [...clampWarnings, ...extracted.warnings, ...traits.warnings],
    },
  };
}
