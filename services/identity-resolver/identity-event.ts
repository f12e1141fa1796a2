// The part of an event the identity graph reads. A plain object on purpose: the Kafka wiring maps
// the validated event model onto it, and tests build it by hand.
import type { IngestionWarningCode } from '../common/streams/ingestion-warnings';

export interface IdentityEventInput {
  /** Dedupe key of the graph: a redelivery with the same messageId changes nothing. */
  messageId: string;
  tenant: string;
  /** identify, track, page, screen, group, alias. */
  type: string;
  userId?: unknown;
  anonymousId?: unknown;
  /** alias only: the id being linked to userId (typed as anonymous_id, see extract-identifiers.ts). */
  previousId?: unknown;
  traits?: unknown;
  context?: unknown;
  /** ISO 8601, skew-corrected; orders trait writes (last writer wins by this, not by arrival). */
  timestamp: string;
  /** ISO 8601, the collector's clock: `timestamp` is kept within the tenant's window around it. */
  receivedAt?: string;
}

/** The ingestion-warnings stream's codes: one list for the resolver and the topic. */
export type IdentityWarningCode = IngestionWarningCode;

/** Something the resolver did not do with the input; recorded, never silent. */
export interface IdentityWarning {
  code: IdentityWarningCode;
  message: string;
  /** `type:value`; for refused values this is the raw (trimmed) value. */
  identifier?: string;
  trait?: string;
}

export type RefusalReason = 'blocked_value' | 'invalid_value' | 'limit' | 'identifier_cap';

export interface RefusedIdentifier {
  identifier: string;
  reason: RefusalReason;
}
