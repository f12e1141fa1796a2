// A tenant's identity rules: the zod schema for the `identity` object of a tenant in the tenants
// file, its defaults, and the compiled form (regexes built, limits and priorities resolved) that
// extraction, the Lua resolver and the reference model all read.
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';

/** Identifier types: the built-in ones and custom `context.externalIds[].type` values alike. */
export const IDENTIFIER_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Where unlisted identifier types go in `priority` (alphabetically among themselves). */
export const OTHER_TYPES = '*';

/**
 * Segment's suggested blocked values plus the usual SDK accidents. Matched case-insensitively
 * against the trimmed raw value and against the normalized value.
 */
export const DEFAULT_BLOCKED_VALUES: readonly string[] = [
  '^null$',
  '^undefined$',
  '^anonymous$',
  '^-1$',
  '^\\[object object\\]$',
  // Empty, `0`, `00`, `-`, `0-0`...: Segment's `^[0-]*$`.
  '^[0-]*$',
];

/** Limits per identifier type per profile; types not listed get `defaultLimit`. */
export const DEFAULT_LIMITS: Readonly<Record<string, number>> = { user_id: 1, anonymous_id: 50 };
export const DEFAULT_LIMIT = 5;

/** Highest priority first; `*` stands for every type not listed, alphabetically. */
export const DEFAULT_PRIORITY: readonly string[] = [
  'user_id',
  'email',
  'phone',
  'device_id',
  OTHER_TYPES,
  'anonymous_id',
];

export const DEFAULT_MAX_IDENTIFIERS_PER_PROFILE = 1000;
export const DEFAULT_MAX_MERGES_PER_PROFILE = 100;
export const DEFAULT_DEDUPE_WINDOW_SECONDS = 7 * 24 * 3600;
export const DEFAULT_DEDUPE_BUCKETS = 1024;
/** Identifier fields of one event looked at (in order of appearance); the rest are ignored. */
export const DEFAULT_MAX_IDENTIFIERS_PER_EVENT = 50;
/** Traits a profile holds (unset tombstones included), and their size: name plus stored entry. */
export const DEFAULT_MAX_TRAITS_PER_PROFILE = 500;
export const DEFAULT_MAX_TRAIT_BYTES_PER_PROFILE = 64 * 1024;
/** Event time later than receivedAt plus this is replaced by receivedAt. */
export const DEFAULT_EVENT_TIME_MAX_FUTURE_SECONDS = 3600;
/** How long a message's outcome is kept when its outputs are never acknowledged. */
export const DEFAULT_OUTCOME_TTL_SECONDS = 24 * 3600;

const identifierType = z
  .string()
  .regex(IDENTIFIER_TYPE_PATTERN, 'identifier types are lower-case letters, digits and _ (max 64)');

const regexSource = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source, 'i');
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `not a valid regular expression (${error instanceof Error ? error.message : String(error)})`,
    });
  }
});

const positiveInt = z.number().int().min(1);

export const identityRulesSchema = z
  .object({
    /** Regex sources; replaces the default list when given (list the defaults to keep them). */
    blockedValues: z.array(regexSource).default([...DEFAULT_BLOCKED_VALUES]),
    /** Extra regexes for one identifier type, on top of `blockedValues`. */
    blockedValuesByType: z.record(identifierType, z.array(regexSource)).default({}),
    /** Merged over DEFAULT_LIMITS. */
    limits: z.record(identifierType, positiveInt).default({}),
    defaultLimit: positiveInt.default(DEFAULT_LIMIT),
    priority: z
      .array(z.union([identifierType, z.literal(OTHER_TYPES)]))
      .min(1)
      .default([...DEFAULT_PRIORITY])
      .refine((list) => new Set(list).size === list.length, 'must not list a type twice'),
    maxIdentifiersPerProfile: positiveInt.default(DEFAULT_MAX_IDENTIFIERS_PER_PROFILE),
    maxMergesPerProfile: z.number().int().min(0).default(DEFAULT_MAX_MERGES_PER_PROFILE),
    dedupeWindowSeconds: positiveInt.default(DEFAULT_DEDUPE_WINDOW_SECONDS),
    maxIdentifiersPerEvent: positiveInt.max(10_000).default(DEFAULT_MAX_IDENTIFIERS_PER_EVENT),
    maxTraitsPerProfile: positiveInt.default(DEFAULT_MAX_TRAITS_PER_PROFILE),
    maxTraitBytesPerProfile: positiveInt.default(DEFAULT_MAX_TRAIT_BYTES_PER_PROFILE),
    eventTimeMaxFutureSeconds: z.number().int().min(0).default(DEFAULT_EVENT_TIME_MAX_FUTURE_SECONDS),
    /** Absent: any past event time is kept (historical imports). */
    eventTimeMaxPastSeconds: positiveInt.optional(),
    outcomeTtlSeconds: positiveInt.default(DEFAULT_OUTCOME_TTL_SECONDS),
    /**
     * Hashes each seventh of the window is spread over: about 128 messages per hash keep it
     * listpack-encoded (compact); more still work, at about twice the memory per message.
     */
    dedupeBuckets: positiveInt.max(1_000_000).default(DEFAULT_DEDUPE_BUCKETS),
    /** ISO 3166 region for phone numbers written without a country code; none: such numbers are refused. */
    phoneDefaultRegion: z
      .string()
      .refine(
        (region) => isSupportedCountry(region),
        'must be a supported ISO 3166-1 alpha-2 region, e.g. "US"',
      )
      .optional(),
  })
  .strict();

export type IdentityRulesInput = z.input<typeof identityRulesSchema>;

export interface IdentityRules {
  readonly blockedValues: readonly RegExp[];
  readonly blockedValuesByType: ReadonlyMap<string, readonly RegExp[]>;
  /** Explicit limits (defaults merged in); other types get defaultLimit. */
  readonly limits: Readonly<Record<string, number>>;
  readonly defaultLimit: number;
  readonly priority: readonly string[];
  readonly maxIdentifiersPerProfile: number;
  readonly maxMergesPerProfile: number;
  readonly dedupeWindowSeconds: number;
  readonly dedupeBuckets: number;
  readonly maxIdentifiersPerEvent: number;
  readonly maxTraitsPerProfile: number;
  readonly maxTraitBytesPerProfile: number;
  readonly eventTimeMaxFutureSeconds: number;
  readonly eventTimeMaxPastSeconds: number | undefined;
  readonly outcomeTtlSeconds: number;
  readonly phoneDefaultRegion: CountryCode | undefined;
}

export class IdentityRulesError extends Error {
  override name = 'IdentityRulesError';
}

/**
 * Validates and compiles a tenant's `identity` object (absent: all defaults). Throws
 * IdentityRulesError with one line naming the tenant and the offending path, for start-up.
 */
export function parseIdentityRules(raw: unknown, tenant = 'unknown'): IdentityRules {
  const parsed = identityRulesSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = ['identity', ...(issue?.path ?? []).map(String)].join('.');
    const detail =
      issue?.code === 'invalid_key'
        ? `invalid key (${issue.issues[0]?.message ?? 'bad key'})`
        : issue?.message;
    throw new IdentityRulesError(
      `invalid identity rules for tenant '${tenant}': ${where}: ${detail ?? 'invalid'}`,
    );
  }
  const rules = parsed.data;
  return {
    blockedValues: rules.blockedValues.map((source) => new RegExp(source, 'i')),
    blockedValuesByType: new Map(
      Object.entries(rules.blockedValuesByType).map(([type, sources]) => [
        type,
        sources.map((source) => new RegExp(source, 'i')),
      ]),
    ),
    limits: { ...DEFAULT_LIMITS, ...rules.limits },
    defaultLimit: rules.defaultLimit,
    priority: rules.priority,
    maxIdentifiersPerProfile: rules.maxIdentifiersPerProfile,
    maxMergesPerProfile: rules.maxMergesPerProfile,
    dedupeWindowSeconds: rules.dedupeWindowSeconds,
    dedupeBuckets: rules.dedupeBuckets,
    maxIdentifiersPerEvent: rules.maxIdentifiersPerEvent,
    maxTraitsPerProfile: rules.maxTraitsPerProfile,
    maxTraitBytesPerProfile: rules.maxTraitBytesPerProfile,
    eventTimeMaxFutureSeconds: rules.eventTimeMaxFutureSeconds,
    eventTimeMaxPastSeconds: rules.eventTimeMaxPastSeconds,
    outcomeTtlSeconds: rules.outcomeTtlSeconds,
    phoneDefaultRegion: rules.phoneDefaultRegion as CountryCode | undefined,
  };
}

export const DEFAULT_IDENTITY_RULES: IdentityRules = parseIdentityRules(undefined, 'default');

export function limitFor(rules: IdentityRules, type: string): number {
  return rules.limits[type] ?? rules.defaultLimit;
}

/** Position in `priority`; unlisted types share the position of `*` (or come last without one). */
export function priorityRank(rules: IdentityRules, type: string): number {
  const listed = rules.priority.indexOf(type);
  if (listed >= 0) return listed;
  const others = rules.priority.indexOf(OTHER_TYPES);
  return others >= 0 ? others : rules.priority.length;
}

/** Total order on types, highest priority first: rank, then name (for the types under `*`). */
export function compareTypePriority(rules: IdentityRules, a: string, b: string): number {
  const byRank = priorityRank(rules, a) - priorityRank(rules, b);
  if (byRank !== 0) return byRank;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isBlockedValue(rules: IdentityRules, type: string, value: string): boolean {
  const byType = rules.blockedValuesByType.get(type) ?? [];
  return [...rules.blockedValues, ...byType].some((pattern) => pattern.test(value));
}
