// Segment clients send ISO-8601 strings; Date.parse alone would also accept free text
// ("March 7") and read zone-less times in the server's zone, so the shape is checked first.
import { isValidInstant } from './event-instant';

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Epoch milliseconds, or undefined when the string is not an ISO-8601 date(-time). Zone-less = UTC. */
export function parseInstant(value: string): number | undefined {
  const m = ISO_8601.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fraction = frac === undefined ? '' : `.${frac.slice(0, 3).padEnd(3, '0')}`;
  let offset = 'Z';
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offset = `${digits.slice(0, 3)}:${digits.length > 3 ? digits.slice(3) : '00'}`;
  }
  const iso = `${y}-${mo}-${d}T${h ?? '00'}:${mi ?? '00'}:${s ?? '00'}${fraction}${offset}`;
  const ms = Date.parse(iso);
  if (!isValidInstant(ms)) return undefined;
  // Date.parse rolls 2021-02-30 over to March; reject dates that do not exist.
  if (new Date(`${y}-${mo}-${d}T00:00:00Z`).getUTCDate() !== Number(d)) return undefined;
  return ms;
}
