// The Avro wire form of an event (schemas/cdp.events.raw.v1.avsc): typed envelope, free-form JSON
// objects as JSON strings, instants as epoch milliseconds, absent fields as null.
// Records come from any producer, so the record schema holds every rule of the event model: what
// later code would choke on (instants Date can format, JSON no deeper than MAX_JSON_DEPTH, JSON
// fields that are objects) and the Segment rules (non-empty ids, per-type required fields). A record
// outside it is poison (DLQ), never a RangeError that a consumer would retry for ever. Validated
// once where it is decoded (codec.decodeRecord(rawEvents, ...)); readers then trust it.
import { z } from 'zod';
import { epochMillis } from '../streams/stream';
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from './event-instant';
import { cdpEventFields, eventRuleBreaks, eventTypeSchema, type CdpEvent } from './event-model';
import { formatIssues, issuesFromZod } from './event-issues';
import { MAX_JSON_DEPTH, jsonTextTooDeep } from './json-depth';
import { isJsonObject, type JsonObject } from './json-object';
import { toWellFormedJson, toWellFormedJsonText } from './well-formed-json';

export const JSON_STRING_FIELDS = ['traits', 'properties', 'context', 'integrations'] as const;
export const INSTANT_FIELDS = ['timestamp', 'sentAt', 'originalTimestamp', 'receivedAt'] as const;

const instant = epochMillis
  .min(MIN_INSTANT_MS, 'must be an instant at or after year 0000')
  .max(MAX_INSTANT_MS, 'must be an instant before year 10000');
/** Ids and names: absent is null, never ''. */
const optionalText = cdpEventFields.userId.unwrap().nullable();

/**
 * A JSON object as text: checked for depth before it is parsed (a scan, so a hostile nesting
 * cannot overflow the parser), then parsed once to know it is an object; a text spelling a lone
 * surrogate is repaired to U+FFFD (well-formed-json.ts), so every reader gets well-formed strings.
 */
const jsonObjectText = z
  .string()
  .check((ctx) => {
    const text = ctx.value;
    const issue = (message: string, reason: string) =>
      ctx.issues.push({ code: 'custom', message, input: text, params: { reason } });
    if (jsonTextTooDeep(text, MAX_JSON_DEPTH)) {
      issue(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, 'json_too_deep');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      issue('is not valid JSON', 'invalid_field');
      return;
    }
    if (!isJsonObject(parsed)) issue('is not a JSON object', 'not_an_object');
  })
  .overwrite(toWellFormedJsonText)
  .nullable();

export const rawEventRecordSchema = z
  .object({
    messageId: cdpEventFields.messageId,
    type: eventTypeSchema,
    tenant: cdpEventFields.tenant,
    userId: optionalText,
    anonymousId: optionalText,
    previousId: optionalText,
    event: optionalText,
    name: optionalText,
    groupId: optionalText,
    traits: jsonObjectText,
    properties: jsonObjectText,
    context: jsonObjectText,
    integrations: jsonObjectText,
    timestamp: instant,
    sentAt: instant.nullable(),
    originalTimestamp: instant.nullable(),
    receivedAt: instant,
  })
  .superRefine((record, ctx) => {
    const breaks = eventRuleBreaks({
      type: record.type,
      userId: record.userId ?? undefined,
      anonymousId: record.anonymousId ?? undefined,
      previousId: record.previousId ?? undefined,
      event: record.event ?? undefined,
      groupId: record.groupId ?? undefined,
    });
    for (const b of breaks) {
      ctx.addIssue({ code: 'custom', path: [b.field], message: b.message, params: { reason: b.reason } });
    }
  });

export type RawEventRecord = z.infer<typeof rawEventRecordSchema>;

/** A record that decoded from Avro but is not a valid event: poison, goes to the DLQ. */
export class EventRecordError extends Error {
  override name = 'EventRecordError';
}

let lastIso = '';
let lastMs = Number.NaN;

/** Date.parse, remembering the last text: events of one batch mostly share receivedAt and timestamp. */
function ms(iso: string): number {
  if (iso !== lastIso) {
    lastMs = Date.parse(iso);
    lastIso = iso;
  }
  return lastMs;
}

function optionalMs(iso: string | undefined): number | null {
  return iso === undefined ? null : ms(iso);
}

/** JSON.stringify writes a lone surrogate as this escape (and a paired one as itself). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

function json(value: Record<string, unknown> | undefined): string | null {
  if (value === undefined) return null;
  // One scan of the text instead of a walk of every string: without such an escape there is no
  // lone surrogate to repair (a false alarm, e.g. a literal "\\ud8", only takes the long way).
  const text = JSON.stringify(value);
  return SURROGATE_ESCAPE.test(text) ? JSON.stringify(toWellFormedJson(value)) : text;
}

/** Expects a valid event (validate with cdpEventSchema first); the encoder re-checks types. */
export function toRawEventRecord(event: CdpEvent): RawEventRecord {
  return {
    messageId: event.messageId,
    type: event.type,
    tenant: event.tenant,
    userId: event.userId ?? null,
    anonymousId: event.anonymousId ?? null,
    previousId: event.previousId ?? null,
    event: event.event ?? null,
    name: event.name ?? null,
    groupId: event.groupId ?? null,
    traits: json(event.traits),
    properties: json(event.properties),
    context: json(event.context),
    integrations: json(event.integrations),
    timestamp: ms(event.timestamp),
    sentAt: optionalMs(event.sentAt),
    originalTimestamp: optionalMs(event.originalTimestamp),
    receivedAt: ms(event.receivedAt),
  };
}

/** A JSON field of a validated record as an object: the schema checked it is one and well-formed. */
export function jsonFieldOf(text: string | null): JsonObject | undefined {
  return text === null ? undefined : (JSON.parse(text) as JsonObject);
}

function iso(value: number): string {
  return new Date(value).toISOString();
}

/** A validated record as the event model: no check left to make (the record schema made them all). */
export function eventOfRecord(r: RawEventRecord): CdpEvent {
  const candidate: Record<string, unknown> = {
    messageId: r.messageId,
    type: r.type,
    tenant: r.tenant,
    userId: r.userId ?? undefined,
    anonymousId: r.anonymousId ?? undefined,
    previousId: r.previousId ?? undefined,
    event: r.event ?? undefined,
    name: r.name ?? undefined,
    groupId: r.groupId ?? undefined,
    traits: jsonFieldOf(r.traits),
    properties: jsonFieldOf(r.properties),
    context: jsonFieldOf(r.context),
    integrations: jsonFieldOf(r.integrations),
    timestamp: iso(r.timestamp),
    sentAt: r.sentAt === null ? undefined : iso(r.sentAt),
    originalTimestamp: r.originalTimestamp === null ? undefined : iso(r.originalTimestamp),
    receivedAt: iso(r.receivedAt),
  };
  for (const key of Object.keys(candidate)) if (candidate[key] === undefined) delete candidate[key];
  return candidate as CdpEvent;
}

/** Decoded Avro value -> event; throws EventRecordError naming the messageId when it is not one. */
export function fromRawEventRecord(value: unknown): CdpEvent {
  const record = rawEventRecordSchema.safeParse(value);
  if (!record.success) {
    const id = (value as { messageId?: unknown } | null)?.messageId;
    throw new EventRecordError(
      `event ${typeof id === 'string' ? id : '(no messageId)'}: ${formatIssues(issuesFromZod(record.error))}`,
    );
  }
  return eventOfRecord(record.data);
}
