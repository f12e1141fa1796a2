// Fail-closed consent at the boundary: a destination receives a profile's data only while every
// category it declares is granted. opt_in tenants treat "no record" as not granted; opt_out
// tenants as granted. Pure.
import type { ConsentMode } from '../common/tenants';
import type { ConsentEntry } from '../identity-resolver/consent-operations';

export type ConsentDecision = { allowed: true } | { allowed: false; reason: string };

export function checkConsent(
  categories: readonly string[],
  mode: ConsentMode,
  consent: Readonly<Record<string, Pick<ConsentEntry, 'granted'>>>,
): ConsentDecision {
  const missing: string[] = [];
  for (const category of categories) {
    const entry = consent[category];
    const granted = entry === undefined ? mode === 'opt_out' : entry.granted;
    if (!granted)
      missing.push(entry === undefined ? `${category} (no record, ${mode})` : `${category} revoked`);
  }
  return missing.length === 0
    ? { allowed: true }
    : { allowed: false, reason: `consent: ${missing.join(', ')}` };
}
