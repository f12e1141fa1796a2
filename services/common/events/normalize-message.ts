// One Segment tracking-API message (as JSON from an SDK, or a row of `cdp import`) -> a validated
// CdpEvent, or the list of everything wrong with it. Pure: the caller supplies tenant, clock and id
// generator. The collector and the batch import both check every message with `checkMessage`.
import {
  EVENT_TYPES,
  MESSAGE_ID_MAX_LENGTH,
  cdpEventSchema,
  eventRuleBreaks,
  type CdpEvent,
  type EventType,
} from './event-model';
import { issuesFromZod, type EventIssue } from './event-issues';
import { isValidInstant } from './event-instant';
import { isJsonObject, type JsonObject } from './json-object';
import { parseInstant } from './parse-instant';
import { correctedTimestamp } from './skew-correction';

export interface MessageContext {
  tenant: string;
  /** Server clock, epoch ms. */
  receivedAt: number;
  /** Set by single-call routes (/v1/track ...); batch items carry their own `type`. */
  routeType?: EventType | undefined;
  /** Batch-level fields that apply to every message that lacks its own. */
  batchSentAt?: unknown;
  batchContext?: unknown;
  batchIntegrations?: unknown;
  newMessageId: () => string;
}

export type MessageOutcome = { ok: true; event: CdpEvent } | { ok: false; issues: EventIssue[] };

/** Reads fields leniently the way Segment does (numbers as ids, '' and null as absent), noting issues. */
class FieldReader {
  readonly issues: EventIssue[] = [];
  constructor(private readonly raw: JsonObject) {}

  private invalid(field: string, message: string, reason: EventIssue['reason'] = 'invalid_field'): undefined {
    this.issues.push({ reason, field, message });
    return undefined;
  }

  /** Ids may arrive as numbers from some SDKs; they are identifiers, so kept as their decimal string. */
  id(field: string): string | undefined {
    const v = this.raw[field];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return this.invalid(field, 'must be a string');
  }

  text(field: string): string | undefined {
    const v = this.raw[field];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v;
    return this.invalid(field, 'must be a string');
  }

  object(field: string, value: unknown = this.raw[field]): JsonObject | undefined {
    if (value === undefined || value === null) return undefined;
    if (isJsonObject(value)) return value;
    return this.invalid(field, 'must be a JSON object');
  }

  instant(field: string, value: unknown = this.raw[field]): number | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    const ms = typeof value === 'string' ? parseInstant(value) : undefined;
    if (ms === undefined) return this.invalid(field, 'must be an ISO-8601 date-time', 'invalid_timestamp');
    return ms;
  }
}

function eventType(raw: JsonObject, ctx: MessageContext, issues: EventIssue[]): EventType | undefined {
  if (ctx.routeType !== undefined) return ctx.routeType;
  const t = raw.type;
  if (typeof t === 'string' && (EVENT_TYPES as readonly string[]).includes(t)) return t as EventType;
  issues.push({
    reason: 'invalid_type',
    field: 'type',
    message: `must be one of ${EVENT_TYPES.join(', ')}${t === undefined ? '' : ` (got ${JSON.stringify(t)})`}`,
  });
  return undefined;
}

function mergeContext(batch: JsonObject | undefined, own: JsonObject | undefined): JsonObject | undefined {
  if (batch === undefined) return own;
  // The message's own context wins over the batch's, key by key.
  return { ...batch, ...own };
}

let lastIsoMs = Number.NaN;
let lastIso = '';

/** ISO text of an instant; the last one is remembered (a batch's messages share receivedAt's ms). */
function iso(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

export function normalizeMessage(input: unknown, ctx: MessageContext): MessageOutcome {
  if (!isJsonObject(input)) {
    return {
      ok: false,
      issues: [{ reason: 'not_an_object', field: '', message: 'an event must be a JSON object' }],
    };
  }
  const read = new FieldReader(input);
  const type = eventType(input, ctx, read.issues);
  const messageId = read.text('messageId');
  if (messageId !== undefined && messageId.length > MESSAGE_ID_MAX_LENGTH) {
    read.issues.push({
      reason: 'message_id_too_long',
      field: 'messageId',
      message: `must be at most ${MESSAGE_ID_MAX_LENGTH} characters (got ${messageId.length})`,
    });
  }
  const ids = {
    userId: read.id('userId'),
    anonymousId: read.id('anonymousId'),
    previousId: read.id('previousId'),
    groupId: read.id('groupId'),
    event: read.text('event'),
    name: read.text('name'),
  };
  const traits = read.object('traits');
  const properties = read.object('properties');
  const context = mergeContext(read.object('batch.context', ctx.batchContext), read.object('context'));
  const integrations =
    read.object('integrations') ?? read.object('batch.integrations', ctx.batchIntegrations);
  // RudderStack SDKs send the client time as originalTimestamp, Segment SDKs as timestamp.
  const originalTimestamp = read.instant('originalTimestamp') ?? read.instant('timestamp');
  const sentAt = read.instant('sentAt') ?? read.instant('batch.sentAt', ctx.batchSentAt);

  if (type !== undefined) {
    for (const b of eventRuleBreaks({ type, ...ids })) {
      // A malformed userId already has its issue; "missing" would only repeat it.
      if (!read.issues.some((i) => i.field === b.field)) read.issues.push(b);
    }
  }
  if (read.issues.length > 0 || type === undefined) return { ok: false, issues: read.issues };

  const timestamp = correctedTimestamp(ctx.receivedAt, { originalTimestamp, sentAt });
  if (!isValidInstant(timestamp)) {
    const message = 'sentAt and timestamp put the corrected timestamp outside years 0-9999';
    return { ok: false, issues: [{ reason: 'invalid_timestamp', field: 'timestamp', message }] };
  }
  const receivedAt = iso(ctx.receivedAt);
  const fields: JsonObject = {
    ...ids,
    traits,
    properties,
    context,
    integrations,
    // Without a client time the timestamp is receivedAt: formatted once.
    timestamp: timestamp === ctx.receivedAt ? receivedAt : iso(timestamp),
    sentAt: iso(sentAt),
    originalTimestamp: iso(originalTimestamp),
    receivedAt,
  };
  // Absent fields are never set rather than set and deleted: `delete` turns an object into a slow
  // dictionary, and the collector and `cdp import` build one per message.
  const candidate: JsonObject = { messageId: messageId ?? ctx.newMessageId(), type, tenant: ctx.tenant };
  for (const key in fields) if (fields[key] !== undefined) candidate[key] = fields[key];
  const parsed = cdpEventSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, issues: issuesFromZod(parsed.error) };
  return { ok: true, event: parsed.data };
}

/** Size of one message as its JSON would travel: what the per-event limit is measured on. */
export function jsonByteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** The per-event size limit (CDP_COLLECTOR_MAX_EVENT_BYTES), then `normalizeMessage`. */
export function checkMessage(input: unknown, ctx: MessageContext, maxEventBytes: number): MessageOutcome {
  const size = jsonByteSize(input);
  if (size > maxEventBytes) {
    const message = `event is ${size} bytes, over the ${maxEventBytes}-byte limit`;
    return { ok: false, issues: [{ reason: 'event_too_large', field: '', message }] };
  }
  return normalizeMessage(input, ctx);
}
