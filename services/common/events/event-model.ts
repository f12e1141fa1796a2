// The one model of a customer event (Segment spec plus tenant). TypeScript types come from here;
// the Avro wire form lives in event-record.ts and a test keeps both equal to schemas/cdp.events.raw.v1.avsc.
import { z } from 'zod';
import { isValidInstant } from './event-instant';
import { MAX_JSON_DEPTH, jsonTooDeepAt, shortenedPath } from './json-depth';

export const EVENT_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export const eventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof eventTypeSchema>;

/** Segment's limit; longer ids are rejected rather than truncated so dedupe keys stay exact. */
export const MESSAGE_ID_MAX_LENGTH = 100;

/** Reasons an event breaks the per-type rules of the Segment spec (used as metric labels too). */
export type EventRuleReason =
  'missing_identity' | 'missing_user_id' | 'missing_previous_id' | 'missing_event' | 'missing_group_id';

const nonEmpty = z.string().min(1);
/** Free-form JSON; its depth is checked once per event in cdpEventSchema (see below). */
const jsonObject = z.record(z.string(), z.unknown());
/** ISO-8601 instant with a zone (Z or an offset): the event model never holds local times. */
const instant = z.iso.datetime({ offset: true });

const JSON_FIELDS = ['traits', 'properties', 'context', 'integrations'] as const;
const INSTANTS = ['timestamp', 'sentAt', 'originalTimestamp', 'receivedAt'] as const;

export const cdpEventFields = {
  messageId: nonEmpty.max(MESSAGE_ID_MAX_LENGTH),
  type: eventTypeSchema,
  tenant: nonEmpty,
  userId: nonEmpty.optional(),
  anonymousId: nonEmpty.optional(),
  previousId: nonEmpty.optional(),
  event: nonEmpty.optional(),
  name: nonEmpty.optional(),
  groupId: nonEmpty.optional(),
  traits: jsonObject.optional(),
  properties: jsonObject.optional(),
  context: jsonObject.optional(),
  integrations: jsonObject.optional(),
  timestamp: instant,
  sentAt: instant.optional(),
  originalTimestamp: instant.optional(),
  receivedAt: instant,
};

interface RuleBreak {
  reason: EventRuleReason;
  field: string;
  message: string;
}

/** The per-type requirements of the Segment spec, as plain data so the collector reports them too. */
export function eventRuleBreaks(event: {
  type: EventType;
  userId?: string | undefined;
  anonymousId?: string | undefined;
  previousId?: string | undefined;
  event?: string | undefined;
  groupId?: string | undefined;
}): RuleBreak[] {
  const breaks: RuleBreak[] = [];
  if (event.type === 'alias') {
    if (event.userId === undefined)
      breaks.push({ reason: 'missing_user_id', field: 'userId', message: 'alias requires userId' });
    if (event.previousId === undefined)
      breaks.push({
        reason: 'missing_previous_id',
        field: 'previousId',
        message: 'alias requires previousId',
      });
    return breaks;
  }
  if (event.userId === undefined && event.anonymousId === undefined) {
    breaks.push({
      reason: 'missing_identity',
      field: 'userId',
      message: `${event.type} requires userId or anonymousId`,
    });
  }
  if (event.type === 'track' && event.event === undefined)
    breaks.push({ reason: 'missing_event', field: 'event', message: 'track requires event' });
  if (event.type === 'group' && event.groupId === undefined)
    breaks.push({ reason: 'missing_group_id', field: 'groupId', message: 'group requires groupId' });
  return breaks;
}

// Bounds are checked here, once per event, rather than as refinements of each field: zod runs
// field refinements slower, and an event is parsed on every hop.
export const cdpEventSchema = z.object(cdpEventFields).superRefine((event, ctx) => {
  for (const b of eventRuleBreaks(event)) {
    ctx.addIssue({ code: 'custom', path: [b.field], message: b.message, params: { reason: b.reason } });
  }
  // Instants in years 0000-9999 UTC too (an offset can push 0000-01-01 out), so the epoch-ms wire
  // form always converts back.
  for (const field of INSTANTS) {
    const value = event[field];
    if (value !== undefined && !isValidInstant(Date.parse(value)))
      ctx.addIssue({ code: 'custom', path: [field], message: 'must be between years 0000 and 9999 in UTC' });
  }
  // Free-form JSON nests at most MAX_JSON_DEPTH levels; the path names the first value past it.
  for (const field of JSON_FIELDS) {
    const tooDeep = jsonTooDeepAt(event[field], MAX_JSON_DEPTH);
    if (tooDeep !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [field, ...shortenedPath(tooDeep)],
        message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
        params: { reason: 'json_too_deep' },
      });
  }
});

export type CdpEvent = z.infer<typeof cdpEventSchema>;
