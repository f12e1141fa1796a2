// Per-type normalization of identifier values, so that `A@B.com ` and `a@b.com` are one identifier.
// A value that cannot be normalized is refused (the caller records a warning), never guessed at:
// a wrong identifier merges strangers, a refused one only misses a link.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** Longest value kept as an identifier (push tokens are ~200 chars); longer is refused. */
export const MAX_IDENTIFIER_VALUE_LENGTH = 512;

export type NormalizeResult = { ok: true; value: string } | { ok: false; reason: string };

export interface NormalizeOptions {
  phoneDefaultRegion?: CountryCode | undefined;
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;
/** A lone UTF-16 surrogate cannot be encoded as UTF-8: Redis' cjson would refuse the whole script. */
export const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Rules:
 * - every type: trimmed; empty, longer than 512 characters or invalid Unicode refused;
 * - email: lower-cased, must look like `local@domain`;
 * - phone: E.164 via libphonenumber (numbers without a country code use the tenant's
 *   `phoneDefaultRegion`); a number that is not even a possible number is refused;
 * - device_id: lower-cased (iOS reports IDFA/IDFV upper-case, other sources lower-case);
 * - user_id, anonymous_id and custom types: kept as they are (ids are case-sensitive).
 */
export function normalizeIdentifierValue(
  type: string,
  raw: string,
  options: NormalizeOptions = {},
): NormalizeResult {
  const trimmed = raw.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'empty value' };
  if (LONE_SURROGATE.test(trimmed)) return { ok: false, reason: 'not valid Unicode (lone surrogate)' };
  if (trimmed.length > MAX_IDENTIFIER_VALUE_LENGTH) {
    return { ok: false, reason: `longer than ${MAX_IDENTIFIER_VALUE_LENGTH} characters` };
  }
  switch (type) {
    case 'email': {
      const email = trimmed.toLowerCase();
      return EMAIL_SHAPE.test(email)
        ? { ok: true, value: email }
        : { ok: false, reason: 'not an email address' };
    }
    case 'phone':
      return normalizePhone(trimmed, options.phoneDefaultRegion);
    case 'device_id':
      return { ok: true, value: trimmed.toLowerCase() };
    default:
      return { ok: true, value: trimmed };
  }
}

function normalizePhone(value: string, region: CountryCode | undefined): NormalizeResult {
  // `00` is the international prefix in most regions; libphonenumber only knows it with a region.
  const international = value.startsWith('00') ? `+${value.slice(2)}` : value;
  const parsed = parsePhoneNumberFromString(international, region);
  if (parsed === undefined || !parsed.isPossible()) {
    return {
      ok: false,
      reason: region
        ? `not a possible phone number (default region ${region})`
        : 'not a possible phone number (no country code and no phoneDefaultRegion)',
    };
  }
  return { ok: true, value: parsed.number };
}
