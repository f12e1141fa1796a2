// The identifiers of a synthetic person: the canonical `type:value` the ground truth records and
// the raw form an SDK would send (mixed-case emails, formatted phones, upper-case device ids).
// Values derive from the person's index so they are unique without remembering any.
import type { SeededRandom } from './seeded-random';

export interface SentIdentifier {
  /** What goes into the event. */
  raw: string;
  /** `type:value` after the resolver's normalization. */
  canonical: string;
}

export const personLabel = (index: number): string => `p${index}`;

export function userIdOf(index: number): SentIdentifier {
  const value = `user-${index}`;
  return { raw: value, canonical: `user_id:${value}` };
}

export function anonymousIdOf(index: number, device: number): SentIdentifier {
  const value = `anon-${index}-${device}`;
  return { raw: value, canonical: `anonymous_id:${value}` };
}

export function kioskAnonymousId(kiosk: number): SentIdentifier {
  const value = `kiosk-${kiosk}`;
  return { raw: value, canonical: `anonymous_id:${value}` };
}

export function deviceIdOf(index: number, device: number, random: SeededRandom): SentIdentifier {
  const value = `dev-${index}-${device}-a`;
  // iOS reports vendor ids upper-case; the resolver lower-cases device ids.
  return { raw: random.chance(0.5) ? value.toUpperCase() : value, canonical: `device_id:${value}` };
}

function decorateEmail(email: string, random: SeededRandom): string {
  const cased = [...email].map((c) => (random.chance(0.5) ? c.toUpperCase() : c)).join('');
  return `${random.pick(['', ' ', '  '])}${cased}${random.pick(['', ' ', '\t'])}`;
}

export function emailOf(local: string, decorate: boolean, random: SeededRandom): SentIdentifier {
  const email = `${local}@example.com`;
  return { raw: decorate ? decorateEmail(email, random) : email, canonical: `email:${email}` };
}

export const personalEmailLocal = (index: number): string => `person${index}`;
export const householdEmailLocal = (household: number): string => `household${household}`;

/** San Francisco area codes: 10,000 `555` lines each. */
const US_AREA_CODES = ['415', '628', '650', '510', '408', '925', '707', '831', '209', '916'];

/**
 * US numbers while the index fits in the US line space, London numbers (+44 20) otherwise or at
 * random; libphonenumber only checks the length for `isPossible`, which both satisfy.
 */
export function phoneOf(index: number, formatted: boolean, random: SeededRandom): SentIdentifier {
  const line = String(index % 10_000).padStart(4, '0');
  const block = Math.floor(index / 10_000);
  if (block < US_AREA_CODES.length && random.chance(0.7)) {
    const area = US_AREA_CODES[block] as string;
    const raw = formatted
      ? random.pick([`+1 ${area}-555-${line}`, `+1 (${area}) 555-${line}`, `001 ${area} 555 ${line}`])
      : `+1${area}555${line}`;
    return { raw, canonical: `phone:+1${area}555${line}` };
  }
  const exchange = String(3000 + block).padStart(4, '0');
  const raw = formatted ? `+44 20 ${exchange} ${line}` : `+4420${exchange}${line}`;
  return { raw, canonical: `phone:+4420${exchange}${line}` };
}
