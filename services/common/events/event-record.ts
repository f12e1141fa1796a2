// The Avro wire form of an event (schemas/cdp.events.raw.v1.avsc): typed envelope, free-form JSON
// objects as JSON strings, instants as epoch milliseconds, absent fields as null.
// Records come from any producer, so the schema bounds what later code would choke on: instants
// Date can format, JSON no deeper than MAX_JSON_DEPTH. A record outside it is poison (DLQ), never
// a RangeError that a consumer would retry for ever.
import { z } from 'zod';
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from './event-instant';
import { cdpEventSchema, eventTypeSchema, type CdpEvent } from './event-model';
import { formatIssues, issuesFromZod } from './event-issues';
import { MAX_JSON_DEPTH, jsonTextTooDeep } from './json-depth';
import { isJsonObject } from './json-object';
import { toWellFormedJson } from './well-formed-json';

export const JSON_STRING_FIELDS = ['traits', 'properties', 'context', 'integrations'] as const;
export const INSTANT_FIELDS = ['timestamp', 'sentAt', 'originalTimestamp', 'receivedAt'] as const;

const epochMs = z
  .number()
  .int()
  .min(MIN_INSTANT_MS, 'must be an instant at or after year 0000')
  .max(MAX_INSTANT_MS, 'must be an instant before year 10000');
const nullableString = z.string().nullable();
/** A JSON text, checked for depth without parsing; whether it is an object is checked on parse. */
const jsonText = z
  .string()
  .refine((text) => !jsonTextTooDeep(text, MAX_JSON_DEPTH), {
    message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
    params: { reason: 'json_too_deep' },
  })
  .nullable();

export const rawEventRecordSchema = z.object({
  messageId: z.string(),
  type: eventTypeSchema,
  tenant: z.string(),
  userId: nullableString,
  anonymousId: nullableString,
  previousId: nullableString,
  event: nullableString,
  name: nullableString,
  groupId: nullableString,
  traits: jsonText,
  properties: jsonText,
  context: jsonText,
  integrations: jsonText,
  timestamp: epochMs,
  sentAt: epochMs.nullable(),
  originalTimestamp: epochMs.nullable(),
  receivedAt: epochMs,
});

export type RawEventRecord = z.infer<typeof rawEventRecordSchema>;

/** A record that decoded from Avro but is not a valid event: poison, goes to the DLQ. */
export class EventRecordError extends Error {
  override name = 'EventRecordError';
}

function ms(iso: string): number {
  return Date.parse(iso);
}

function optionalMs(iso: string | undefined): number | null {
  return iso === undefined ? null : ms(iso);
}

function json(value: Record<string, unknown> | undefined): string | null {
  return value === undefined ? null : JSON.stringify(toWellFormedJson(value));
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

function parseJsonObject(
  value: string | null,
  field: string,
  messageId: string,
): Record<string, unknown> | undefined {
  if (value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new EventRecordError(`event ${messageId}: ${field} is not valid JSON`);
  }
  if (!isJsonObject(parsed)) {
    throw new EventRecordError(`event ${messageId}: ${field} is not a JSON object`);
  }
  // A JSON text may spell a lone surrogate as an escape ("\ud800"); downstream gets U+FFFD.
  return toWellFormedJson(parsed as Record<string, unknown>);
}

function iso(value: number): string {
  return new Date(value).toISOString();
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
  const r = record.data;
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
    traits: parseJsonObject(r.traits, 'traits', r.messageId),
    properties: parseJsonObject(r.properties, 'properties', r.messageId),
    context: parseJsonObject(r.context, 'context', r.messageId),
    integrations: parseJsonObject(r.integrations, 'integrations', r.messageId),
    timestamp: iso(r.timestamp),
    sentAt: r.sentAt === null ? undefined : iso(r.sentAt),
    originalTimestamp: r.originalTimestamp === null ? undefined : iso(r.originalTimestamp),
    receivedAt: iso(r.receivedAt),
  };
  for (const key of Object.keys(candidate)) if (candidate[key] === undefined) delete candidate[key];
  const event = cdpEventSchema.safeParse(candidate);
  if (!event.success) {
    throw new EventRecordError(`event ${r.messageId}: ${formatIssues(issuesFromZod(event.error))}`);
  }
  return event.data;
}
