// The range of instants an event may carry: what a JS Date can print as a 4-digit ISO year and
// Avro timestamp-millis round-trips. Outside it, `new Date(ms).toISOString()` throws RangeError,
// so every instant is checked against this before anything formats it.

export const MIN_INSTANT_MS = Date.parse('0000-01-01T00:00:00.000Z');
export const MAX_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');

export function isValidInstant(ms: number): boolean {
  return Number.isInteger(ms) && ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS;
}
