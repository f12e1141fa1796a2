// A request body -> the events to write and the ones rejected (by index), so one bad message in a
// batch never costs the good ones.
import type { CdpEvent, EventType } from '../common/events/event-model';
import type { EventIssue } from '../common/events/event-issues';
import { isJsonObject } from '../common/events/json-object';
import { checkMessage, type MessageContext } from '../common/events/normalize-message';
import type { SizeLimits } from './size-limits';

export interface RejectedMessage {
  index: number;
  messageId?: string;
  issues: EventIssue[];
}

export type SplitOutcome =
  | { kind: 'events'; accepted: CdpEvent[]; rejected: RejectedMessage[] }
  /** The body as a whole is unusable (not an object, no batch array): nothing to split. */
  | { kind: 'invalid-body'; issues: EventIssue[] };

export interface RequestContext {
  tenant: string;
  receivedAt: number;
  limits: SizeLimits;
  newMessageId: () => string;
}

function messageIdOf(raw: unknown): string | undefined {
  return isJsonObject(raw) && typeof raw.messageId === 'string' ? raw.messageId : undefined;
}

function collect(
  messages: readonly unknown[],
  base: Omit<MessageContext, 'tenant' | 'receivedAt' | 'newMessageId'>,
  req: RequestContext,
): SplitOutcome {
  const accepted: CdpEvent[] = [];
  const rejected: RejectedMessage[] = [];
  messages.forEach((raw, index) => {
    const messageId = messageIdOf(raw);
    const ctx = { ...base, tenant: req.tenant, receivedAt: req.receivedAt, newMessageId: req.newMessageId };
    const outcome = checkMessage(raw, ctx, req.limits.maxEventBytes);
    if (outcome.ok) accepted.push(outcome.event);
    else rejected.push({ index, messageId, issues: outcome.issues });
  });
  return { kind: 'events', accepted, rejected };
}

/** Body of /v1/identify, /v1/track, ...: one message, its type given by the route. */
export function splitSingle(body: unknown, routeType: EventType, req: RequestContext): SplitOutcome {
  return collect([body], { routeType }, req);
}

/** Body of /v1/batch and /v1/import: { batch: [...], sentAt?, context?, integrations? }. */
export function splitBatch(body: unknown, req: RequestContext): SplitOutcome {
  if (!isJsonObject(body)) {
    return {
      kind: 'invalid-body',
      issues: [{ reason: 'not_an_object', field: '', message: 'body must be a JSON object' }],
    };
  }
  if (!Array.isArray(body.batch) || body.batch.length === 0) {
    return {
      kind: 'invalid-body',
      issues: [{ reason: 'invalid_field', field: 'batch', message: 'must be a non-empty array of events' }],
    };
  }
  return collect(
    body.batch,
    { batchSentAt: body.sentAt, batchContext: body.context, batchIntegrations: body.integrations },
    req,
  );
}
