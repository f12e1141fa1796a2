// A tracking request body (already decompressed, as text) -> the JSON value the routes split.
// Whatever the Content-Type says, the body is read as JSON: SDKs label it application/json,
// text/plain (browser beacons, to avoid a CORS preflight) or application/x-www-form-urlencoded
// (RudderStack's Node SDK, through axios), and Segment's and RudderStack's servers read all as JSON.
import type { EventIssue } from '../common/events/event-issues';
import { MAX_JSON_DEPTH, jsonTooDeepAt, shortenedPath } from '../common/events/json-depth';
import { toWellFormedJson } from '../common/events/well-formed-json';

/**
 * Nesting a body may have: a batch body, its batch array and a message sit above a message's
 * free-form fields, which the event model bounds at MAX_JSON_DEPTH each. Anything deeper is
 * refused before any recursive code (JSON.stringify for the per-event size) sees it.
 */
export const MAX_BODY_DEPTH = MAX_JSON_DEPTH + 3;

export type BodyOutcome = { ok: true; body: unknown } | { ok: false; error: string; issues?: EventIssue[] };

export function readTrackingBody(text: string): BodyOutcome {
  let body: unknown;
  try {
    // V8's JSON.parse is iterative: any depth parses; the depth is bounded just below.
    body = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `unreadable request body: ${(err as Error).message}` };
  }
  const tooDeep = jsonTooDeepAt(body, MAX_BODY_DEPTH);
  if (tooDeep !== undefined) {
    const field = shortenedPath(tooDeep).join('.');
    const message = `JSON nested deeper than ${MAX_BODY_DEPTH} levels in the body (${MAX_JSON_DEPTH} within traits, properties, context, integrations)`;
    return {
      ok: false,
      error: 'invalid request body',
      issues: [{ reason: 'json_too_deep', field, message }],
    };
  }
  // Lone UTF-16 surrogates become U+FFFD in every string and key, so nothing downstream
  // (Avro's UTF-8, ClickHouse) meets one.
  return { ok: true, body: toWellFormedJson(body) };
}
