// The pieces of the segment language shared by segments and computed traits: value comparisons
// (traits, computed traits, event properties), aggregate comparisons and event filters.
// docs/segments.md publishes the JSON Schema generated from these zod types.
import { z } from 'zod';

export const ID_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const definitionId = z
  .string()
  .regex(ID_PATTERN, 'id: a lower-case letter, then up to 63 lower-case letters, digits, _ or -');

export const VALUE_OPS = [
  'eq',
  'neq',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'not_exists',
  'contains',
  'starts_with',
] as const;
export type ValueOp = (typeof VALUE_OPS)[number];

/** A value a condition compares with: numbers compare as numbers, strings as strings (or instants). */
export const scalar = z.union([z.string(), z.number(), z.boolean()]);
export type Scalar = z.infer<typeof scalar>;

const opValue = { op: z.enum(VALUE_OPS), value: z.union([scalar, z.array(scalar).min(1)]).optional() };

/** What value each operator takes: a list for in/not_in, none for exists/not_exists, a string for contains/starts_with. */
function checkOpValue(c: { op: ValueOp; value?: Scalar | Scalar[] }, ctx: z.RefinementCtx): void {
  const list = Array.isArray(c.value);
  const problem = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
  if (c.op === 'exists' || c.op === 'not_exists') {
    if (c.value !== undefined) problem(`${c.op} takes no value`);
  } else if (c.op === 'in' || c.op === 'not_in') {
    if (!list) problem(`${c.op} needs a list of values`);
  } else if (c.op === 'contains' || c.op === 'starts_with') {
    if (typeof c.value !== 'string') problem(`${c.op} needs a string value`);
  } else if (c.value === undefined || list) {
    problem(`${c.op} needs one value`);
  }
}

/** Dotted path into the profile's traits, e.g. `address.city`. */
export const traitPath = z
  .string()
  .min(1)
  .regex(/^[^.]+(\.[^.]+)*$/, 'a trait name, or a dotted path with no empty part');

export const traitCondition = z.strictObject({ trait: traitPath, ...opValue }).superRefine(checkOpValue);
export const computedCondition = z
  .strictObject({ computed: definitionId, ...opValue })
  .superRefine(checkOpValue);
/** A filter on one top-level event property. */
export const whereItem = z
  .strictObject({ property: z.string().min(1), ...opValue })
  .superRefine(checkOpValue);
/** Any of the three: a value at a path compared by `op`. */
export interface ValueComparison {
  op: ValueOp;
  value?: Scalar | Scalar[];
}
export type WhereItem = z.infer<typeof whereItem>;
export type TraitCondition = z.infer<typeof traitCondition>;
export type ComputedCondition = z.infer<typeof computedCondition>;

export const NUMBER_OPS = ['eq', 'gt', 'gte', 'lt', 'lte'] as const;
export type NumberOp = (typeof NUMBER_OPS)[number];

const numberBounds = {
  eq: z.number().optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
};
const atLeastOneBound = (c: Partial<Record<NumberOp, number>>) =>
  NUMBER_OPS.some((op) => c[op] !== undefined);
const boundMessage = { message: 'give at least one of eq, gt, gte, lt, lte' };

/** `{ gte: 2 }`: every bound given must hold. */
export const countComparison = z.strictObject(numberBounds).refine(atLeastOneBound, boundMessage);
/** `{ property: "total", gte: 100 }`. */
export const propertyComparison = z
  .strictObject({ property: z.string().min(1), ...numberBounds })
  .refine(atLeastOneBound, boundMessage);
export type Bounds = Partial<Record<NumberOp, number>>;

export const withinDays = z.number().int().min(1).max(3650);

export const eventFilter = {
  event: z.string().min(1),
  where: z.array(whereItem).optional(),
  within_days: withinDays.optional(),
};
