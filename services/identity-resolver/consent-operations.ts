// Consent per category on the profile (Segment's `context.consent.categoryPreferences`, on any
// call type). Each category is stored as a reserved trait entry `$consent:<category>` with value
// true/false, so it follows the trait rule exactly: last writer wins by event time, merges combine
// with the same rule, snapshots carry it in traitState. User traits cannot start with `$`
// (trait-operations.ts refuses them), so the names never collide. Readers see it as `consent`,
// never among `traits`.
import { isJsonObject } from '../common/events/json-object';
import type { IdentityEventInput } from './identity-event';
import type { TraitEntry, TraitOperation } from './trait-operations';

export const CONSENT_TRAIT_PREFIX = '$consent:';

/** Longest category name kept; longer ones are ignored (a trait name is at most 256 characters). */
const MAX_CATEGORY_LENGTH = 200;

export interface ConsentEntry {
  granted: boolean;
  /** Event time of the preference kept, ISO 8601. */
  at: string;
}

export function isConsentTrait(name: string): boolean {
  return name.startsWith(CONSENT_TRAIT_PREFIX);
}

/** The categories an event states, as `set` operations on the reserved trait names. */
export function extractConsentOperations(event: Pick<IdentityEventInput, 'context'>): TraitOperation[] {
  const context = event.context;
  if (!isJsonObject(context) || !isJsonObject(context.consent)) return [];
  const preferences = context.consent.categoryPreferences;
  if (!isJsonObject(preferences)) return [];
  const operations: TraitOperation[] = [];
  for (const [category, granted] of Object.entries(preferences)) {
    // Only booleans are preferences; anything else states nothing (never read as a grant).
    if (typeof granted !== 'boolean' || category.length === 0 || category.length > MAX_CATEGORY_LENGTH)
      continue;
    operations.push({ name: `${CONSENT_TRAIT_PREFIX}${category}`, kind: 'set', value: String(granted) });
  }
  return operations;
}

/** category -> {granted, at} from a profile's stored trait entries. */
export function consentOf(traitState: Record<string, TraitEntry>): Record<string, ConsentEntry> {
  const consent: Record<string, ConsentEntry> = {};
  for (const [name, entry] of Object.entries(traitState)) {
    if (!isConsentTrait(name) || entry.kind === 'unset') continue;
    consent[name.slice(CONSENT_TRAIT_PREFIX.length)] = {
      granted: entry.value === 'true',
      at: new Date(entry.ts).toISOString(),
    };
  }
  return consent;
}
