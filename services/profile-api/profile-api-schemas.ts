// The profile API's contract: zod schemas that validate requests, serialize responses and generate
// /openapi.json, so the three can never disagree.
import { z } from 'zod';
import { privacyReceiptRecordSchema } from '../common/streams/privacy-receipts';
import { PRIVACY_ACTIONS } from '../common/streams/privacy-requests';
import { MAX_EVENTS_LIMIT } from './events-query';

/** Fields `?fields=` may name; profile_id and version are always returned. */
export const PROFILE_FIELDS = [
  'identifiers',
  'traits',
  'computed',
  'segments',
  'consent',
  'first_seen',
  'last_seen',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

export const errorSchema = z
  .object({
    error: z.string().describe('machine-readable code, e.g. not_found'),
    message: z.string().describe('what was wrong, for a person'),
  })
  .describe('Every error response');

export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  429: errorSchema,
} as const;

export const profileParams = z.object({
  identifier: z
    .string()
    .describe('`type:value`, URL-encoded (e.g. email%3Aann%40example.com); normalized like the resolver'),
});

const fieldList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f.length > 0 && f !== 'profile_id' && f !== 'version'),
  )
  .refine((fields) => fields.every((f) => (PROFILE_FIELDS as readonly string[]).includes(f)), {
    message: `fields must be a comma-separated list of ${PROFILE_FIELDS.join(', ')}`,
  })
  .transform((fields) => fields as ProfileField[]);

export const profileQuery = z.object({
  fields: fieldList.optional().describe(`comma-separated subset of ${PROFILE_FIELDS.join(', ')}`),
  min_version: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('wait up to 1 s for the profile to reach this version (read-your-writes)'),
});

export const profileResponse = z.object({
  profile_id: z.string(),
  identifiers: z.array(z.string()).optional().describe('`type:value`, normalized, sorted'),
  traits: z.record(z.string(), z.unknown()).optional(),
  computed: z.record(z.string(), z.unknown()).optional().describe('computed traits'),
  segments: z.array(z.string()).optional().describe('ids of the segments the profile is in'),
  consent: z.record(z.string(), z.unknown()).optional(),
  version: z.number().int().describe('grows with every change of the profile'),
  first_seen: z.string().optional().describe('ISO 8601, event time'),
  last_seen: z.string().optional().describe('ISO 8601, event time'),
  min_version_met: z
    .boolean()
    .optional()
    .describe('only with ?min_version: false when the profile was still below it after 1 s'),
});

export const profileIdParams = z.object({
  id: z.string().min(1).max(128).describe('a profile id (a merged-away id reads its survivor)'),
});

export const eventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_EVENTS_LIMIT).default(100),
  cursor: z.string().min(1).optional().describe('next_cursor of the previous page'),
  event: z.string().min(1).optional().describe('only track events of this name'),
  since: z.iso.datetime({ offset: true }).optional().describe('window start (ISO 8601); default 14 days ago'),
});

export const eventsResponse = z.object({
  profile_id: z.string(),
  events: z.array(
    z.object({
      message_id: z.string(),
      type: z.string(),
      event: z.string(),
      name: z.string(),
      timestamp: z.string(),
      received_at: z.string(),
      properties: z.unknown(),
      traits: z.unknown(),
      context: z.unknown(),
    }),
  ),
  next_cursor: z.string().nullable().describe('null on the last page'),
});

export const segmentsResponse = z.object({
  profile_id: z.string(),
  segments: z.array(
    z.object({
      segment_id: z.string(),
      entered_at: z.string().describe('when the current membership began (ISO 8601)'),
    }),
  ),
});

export const privacyRequestBody = z.object({
  action: z
    .enum(PRIVACY_ACTIONS)
    .describe('access, delete, suppress (delete and drop future events) or unsuppress'),
  identifier: z
    .string()
    .min(1)
    .describe('`type:value` of the subject (e.g. email:ann@example.com); normalized like the resolver'),
  requested_by: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('who asked, recorded on the request (default: privacy-key:<first 12 hex of its SHA-256>)'),
});

export const privacyRequestAccepted = z.object({
  request_id: z.string(),
  status_url: z.string().describe('GET it for the receipt'),
});

export const privacyRequestParams = z.object({
  id: z.string().min(1).max(128).describe('request_id of POST /v1/privacy/requests'),
});

export const privacyRequestPending = z.object({
  request_id: z.string(),
  status: z.literal('pending'),
});

/** The receipt exactly as on cdp.privacy.receipts.v1 and as `cdp privacy status --json` prints it. */
export const privacyReceiptResponse = privacyReceiptRecordSchema.describe(
  'the receipt: each store with what was removed and the follow-up count',
);
