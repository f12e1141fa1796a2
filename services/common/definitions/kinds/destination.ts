// The `destination` kind: where activation delivers a tenant's segment changes, computed traits,
// profile trait changes, events and journey sends (docs/destinations.md). Three types share the
// subscription and consent fields; each has its own transport settings.
import { z } from 'zod';
import type { DefinitionKind, DefinitionRef } from '../definition-kind';

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const id = z.string().regex(ID, 'must be 1-64 characters of a-z, 0-9, _ or -');

/** Standard Webhooks secret: `whsec_` + base64 of 24 to 64 random bytes. */
export const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

const DURATION = /^(\d+)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `4h`, `90m`, `30s`, `500ms`, `1d` -> milliseconds. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  return m === null ? null : Number(m[1]) * UNIT_MS[m[2]!]!;
}

const maxAge = z
  .string()
  .refine(
    (v) => (parseDuration(v) ?? 0) >= 1000,
    'must be a duration of at least 1s like "4h", "30m" or "90s"',
  )
  .default('4h');

/** `where`: every listed path (`properties.plan`, `context.app.name`) must equal its value. */
const eventSubscription = z.strictObject({
  event: z.string().min(1, 'must name an event ("*" for every track)'),
  where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

const subscription = z
  .strictObject({
    segments: z.array(id).default([]),
    computed_traits: z.array(id).default([]),
    /** Trait names, or ["*"] for every trait change. */
    profile_traits: z.array(z.string().min(1)).default([]),
    events: z.array(eventSubscription).default([]),
  })
  .default({ segments: [], computed_traits: [], profile_traits: [], events: [] });

const common = {
  kind: z.literal('destination'),
  id,
  /** Every category must be granted for the profile, or the destination receives nothing of it. */
  consent_categories: z.array(z.string().min(1)).default([]),
  subscribe: subscription,
  /** Give up retrying a delivery this long after it was created: a dead letter then. */
  max_age: maxAge,
  /** The privacy service calls deleteSubject on destinations that declare it. */
  supports_deletion: z.boolean().default(false),
  description: z.string().optional(),
};

const webhook = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: httpUrl,
  secret: z
    .string({ error: 'is required: a Standard Webhooks secret whsec_<base64>' })
    .regex(WEBHOOK_SECRET, 'must be a Standard Webhooks secret: whsec_ followed by base64'),
  headers: z.record(z.string(), z.string()).default({}),
  timeout_ms: z.number().int().min(100).max(120_000).default(5000),
  batch_size: z.number().int().min(1).max(1000).default(1),
});

const kafka = z.strictObject({
  ...common,
  type: z.literal('kafka'),
  topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name'),
  batch_size: z.number().int().min(1).max(1000).default(100),
});

const segment = z.strictObject({
  ...common,
  type: z.literal('segment'),
  /** Base URL of a Segment-compatible HTTP tracking API; calls go to `<url>/v1/batch`. */
  url: httpUrl,
  write_key: z.string().min(1, 'is required'),
  timeout_ms: z.number().int().min(100).max(120_000).default(5000),
  batch_size: z.number().int().min(1).max(1000).default(1),
});

export const destinationSchema = z.discriminatedUnion('type', [webhook, kafka, segment], {
  error: 'type must be one of webhook, kafka, segment',
});

export type Destination = z.infer<typeof destinationSchema>;
export type WebhookDestination = z.infer<typeof webhook>;
export type KafkaDestination = z.infer<typeof kafka>;
export type SegmentDestination = z.infer<typeof segment>;

export function maxAgeMs(destination: Destination): number {
  return parseDuration(destination.max_age) ?? 4 * 3_600_000;
}

export const destinationKind: DefinitionKind<Destination> = {
  kind: 'destination',
  command: 'destinations',
  schema: destinationSchema,
  references: (d): DefinitionRef[] => [
    ...d.subscribe.segments.map((s, i) => ({ kind: 'segment', id: s, path: ['subscribe', 'segments', i] })),
    ...d.subscribe.computed_traits.map((t, i) => ({
      kind: 'computed_trait',
      id: t,
      path: ['subscribe', 'computed_traits', i],
    })),
  ],
  summary: (d) => {
    const target = d.type === 'kafka' ? d.topic : d.url;
    const s = d.subscribe;
    return `${d.type} ${target}: ${s.segments.length} segments, ${s.computed_traits.length} computed traits, ${s.profile_traits.length} traits, ${s.events.length} events`;
  },
};
