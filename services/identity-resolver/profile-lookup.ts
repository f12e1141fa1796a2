// Reading a live profile by a `type:value` that a person typed (`cdp profile get`) or a client sent
// (the profile API): the tenant's rules normalize it exactly as the resolver did when it wrote the
// graph, so `email:Ann@X.com` finds the profile that holds `email:ann@x.com`.
import type { Tenant } from '../common/tenants';
import { normalizeIdentifier } from './extract-identifiers';
import type { IdentityGraph } from './identity-graph';
import type { ProfileSnapshot } from './identity-outcome';
import { parseIdentityRules, type IdentityRules } from './identity-rules';

export type ProfileLookup =
  | { status: 'found'; identifier: string; profile: ProfileSnapshot }
  | { status: 'not_found'; identifier: string }
  | { status: 'invalid'; reason: string };

// A reloaded tenants file brings new Tenant objects, so caching by object never serves stale rules.
const rulesByTenant = new WeakMap<Tenant, IdentityRules>();

/** The tenant's identity rules, parsed once per tenant object (throws IdentityRulesError). */
export function tenantRules(tenant: Tenant): IdentityRules {
  let rules = rulesByTenant.get(tenant);
  if (rules === undefined) {
    rules = parseIdentityRules(tenant.identity, tenant.id);
    rulesByTenant.set(tenant, rules);
  }
  return rules;
}

/** A malformed identifier is a value (`invalid` with the reason), not an exception. */
export async function lookupProfile(
  graph: IdentityGraph,
  tenant: Tenant,
  identifier: string,
): Promise<ProfileLookup> {
  const rules = tenantRules(tenant);
  const normalized = normalizeIdentifier(identifier, rules);
  if (!normalized.ok) return { status: 'invalid', reason: normalized.reason };
  const profile = await graph.getProfileByIdentifier(tenant.id, normalized.identifier, rules);
  return profile === null
    ? { status: 'not_found', identifier: normalized.identifier }
    : { status: 'found', identifier: normalized.identifier, profile };
}
