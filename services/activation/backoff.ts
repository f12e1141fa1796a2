// When a retryable failure is tried again: exponential from 1 s doubling to a 5 min cap (the
// anchors: Segment's randomized exponential backoff over 4 h, RudderStack's 10 s..300 s), with full
// jitter in the upper half so parked profiles of one destination do not retry in lockstep. A 429's
// Retry-After is honoured (never sooner). Pure.
export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 1000, maxMs: 300_000 };

export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  settings: BackoffSettings = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.max(0, Math.min(30, attempt - 1)));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
}

/** Retry-After as seconds or an HTTP date -> milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
