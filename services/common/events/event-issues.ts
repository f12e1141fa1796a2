// Turns zod issues on an event into the flat, named issues that the collector answers with
// and that label the rejection metrics.
import type { z } from 'zod';
import type { EventRuleReason } from './event-model';

export type EventIssueReason =
  | EventRuleReason
  | 'invalid_field'
  | 'invalid_timestamp'
  | 'message_id_too_long'
  | 'not_an_object'
  | 'invalid_type'
  | 'event_too_large'
  | 'json_too_deep';

export interface EventIssue {
  reason: EventIssueReason;
  /** Dotted path of the offending field, '' for the event as a whole. */
  field: string;
  message: string;
}

const TIMESTAMP_FIELDS = new Set(['timestamp', 'sentAt', 'originalTimestamp', 'receivedAt']);

export function issuesFromZod(error: z.ZodError): EventIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    const params =
      issue.code === 'custom' ? (issue.params as { reason?: EventIssueReason } | undefined) : undefined;
    let reason: EventIssueReason = 'invalid_field';
    if (params?.reason) reason = params.reason;
    else if (field === 'messageId' && issue.code === 'too_big') reason = 'message_id_too_long';
    else if (field === 'type') reason = 'invalid_type';
    else if (TIMESTAMP_FIELDS.has(field)) reason = 'invalid_timestamp';
    return { reason, field, message: issue.message };
  });
}

export function formatIssues(issues: EventIssue[]): string {
  return issues.map((i) => `${i.field || '(event)'}: ${i.message} [${i.reason}]`).join('; ');
}
