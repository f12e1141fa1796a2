// The identifiers an incoming event carries, as the resolver will see them (same extraction and
// normalization), so the collector and `cdp import` check the suppression list with the same ids.
import type { CdpEvent } from '../events/event-model';
import { extractIdentifiers } from '../../identity-resolver/extract-identifiers';
import { parseIdentityRules, type IdentityRules } from '../../identity-resolver/identity-rules';
import type { TenantDirectory } from '../tenants';
import type { SuppressionList } from './suppression';
import type { SuppressionCheck } from './suppression';

type EventFields = Pick<CdpEvent, 'type' | 'userId' | 'anonymousId' | 'previousId' | 'traits' | 'context'> & {
  messageId?: string;
  tenant?: string;
};

export function identifiersOfEvent(event: EventFields, rules: IdentityRules): string[] {
  const input = {
    messageId: event.messageId ?? '',
    tenant: event.tenant ?? '',
    type: event.type,
    traits: event.traits,
    context: event.context,
    timestamp: '',
    receivedAt: '',
    ...(event.userId === undefined ? {} : { userId: event.userId }),
    ...(event.anonymousId === undefined ? {} : { anonymousId: event.anonymousId }),
    ...(event.previousId === undefined ? {} : { previousId: event.previousId }),
  };
  return extractIdentifiers(input, rules).identifiers;
}

/**
 * The predicate the collector calls per request: true when the event carries an identifier of a
 * suppressed subject.
 */
export function suppressedEventPredicate(
  check: SuppressionCheck,
  rulesFor: (tenant: string) => IdentityRules,
): (tenant: string, event: EventFields) => Promise<boolean> {
  return (tenant, event) => check(tenant, identifiersOfEvent(event, rulesFor(tenant)));
}

/**
 * `cdp import`'s check of a batch (its `skipEvents` hook): for each event, whether it carries an
 * identifier of a suppressed subject. Identifiers are extracted only when the tenant has any
 * suppressed or erasing identifier (SuppressionList.suppressedAmong).
 */
export function suppressedEventsOf(
  list: SuppressionList,
  tenant: string,
  rules: IdentityRules,
): (events: readonly EventFields[]) => Promise<boolean[]> {
  return (events) => list.suppressedAmong(tenant, events, (e) => identifiersOfEvent(e, rules));
}

/** Splits events into kept and suppressed, one suppression check per event (pipelined). */
export async function withoutSuppressed<E extends EventFields>(
  tenant: string,
  events: readonly E[],
  isSuppressed: (tenant: string, event: E) => Promise<boolean>,
): Promise<{ kept: E[]; dropped: number }> {
  const flags = await Promise.all(events.map((e) => isSuppressed(tenant, e)));
  const kept = events.filter((_e, i) => !flags[i]);
  return { kept, dropped: events.length - kept.length };
}

/** The collector's filter: each tenant's identity rules (as the resolver reads them) and the list. */
export function collectorSuppression(
  list: SuppressionList,
  tenants: TenantDirectory,
): (tenant: string, events: CdpEvent[]) => Promise<{ kept: CdpEvent[]; dropped: number }> {
  const rules = new Map(tenants.tenants.map((t) => [t.id, parseIdentityRules(t.identity, t.id)]));
  const isSuppressed = suppressedEventPredicate(
    list.isSuppressed,
    (tenant) => rules.get(tenant) ?? parseIdentityRules(undefined, tenant),
  );
  return (tenant, events) => withoutSuppressed(tenant, events, isSuppressed);
}
